package dev.unixsocket.wire;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * The socket endpoint both sides must agree on: the path, the framing and the largest payload.
 * {@code ServerOptions} and {@code ClientOptions} each hold one, so the fields have one
 * definition, one set of limits and the same JSON names ({@code path}, {@code framing},
 * {@code maxFrame}) on both sides.
 */
public class EndpointOptions {

  /** Socket path used when none is given: $XDG_RUNTIME_DIR/unixsocket.sock if set, else /tmp/unixsocket.sock. */
  public static final String DEFAULT_PATH = DefaultPath.get();
  /** Frames are length-prefixed unless told otherwise. */
  public static final Framing DEFAULT_FRAMING = Framing.LENGTH;
  /** Largest payload accepted: 10 MiB. */
  public static final int DEFAULT_MAX_FRAME = Framing.DEFAULT_MAX_FRAME;
  /** Smallest max-frame allowed: see {@link #setMaxFrame(int)}. */
  public static final int MIN_MAX_FRAME = 1;
  /** The kernel's limit for a socket path: sun_path holds 108 bytes including the final NUL. */
  public static final int MAX_PATH_BYTES = SocketPath.MAX_BYTES;

  private String path = DEFAULT_PATH;
  private Framing framing = DEFAULT_FRAMING;
  private int maxFrame = DEFAULT_MAX_FRAME;

  public EndpointOptions() {
  }

  public EndpointOptions(EndpointOptions other) {
    this.path = other.path;
    this.framing = other.framing;
    this.maxFrame = other.maxFrame;
  }

  /**
   * Reads the endpoint fields present in {@code json}; absent ones keep their defaults.
   *
   * @throws IllegalArgumentException naming the field when a value has the wrong type or breaks a rule
   */
  public EndpointOptions(JsonObject json) {
    this();
    read(new JsonFields(json, "option"));
  }

  /** Reads the endpoint fields with the caller's reader, so that it knows them as its own. */
  public void read(JsonFields fields) {
    fields.readString("path", this::setPath);
    fields.readString("framing", v -> setFraming(Framing.of(v)));
    fields.readInt("maxFrame", this::setMaxFrame);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("path", path)
        .put("framing", framing.label())
        .put("maxFrame", maxFrame);
  }

  public String getPath() {
    return path;
  }

  /** The socket's filesystem path: absolute or relative, not empty, at most 107 bytes. */
  public EndpointOptions setPath(String path) {
    this.path = SocketPath.check(path);
    return this;
  }

  public Framing getFraming() {
    return framing;
  }

  /** {@code length} or {@code line}; server and client must use the same. */
  public EndpointOptions setFraming(Framing framing) {
    this.framing = Objects.requireNonNull(framing, "framing must not be null");
    return this;
  }

  public int getMaxFrame() {
    return maxFrame;
  }

  /**
   * Largest payload in bytes: a larger frame read closes its connection, a larger message to send
   * fails at once. At least {@value #MIN_MAX_FRAME}: with 0 only empty messages could pass, which
   * no use of a socket needs, so a 0 is a mistake (an unset value, most often), better refused
   * here than found later as closed connections. An int, so always below 2^31: a
   * {@code length} header with the top bit set is a control frame, never a data length.
   */
  public EndpointOptions setMaxFrame(int maxFrame) {
    if (maxFrame < MIN_MAX_FRAME) {
      throw new IllegalArgumentException("maxFrame must be >= " + MIN_MAX_FRAME + " byte, was " + maxFrame);
    }
    this.maxFrame = maxFrame;
    return this;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EndpointOptions)) {
      return false;
    }
    EndpointOptions other = (EndpointOptions) o;
    return path.equals(other.path) && framing == other.framing && maxFrame == other.maxFrame;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, framing, maxFrame);
  }

  @Override
  public String toString() {
    return "EndpointOptions" + toJson().encode();
  }
}
