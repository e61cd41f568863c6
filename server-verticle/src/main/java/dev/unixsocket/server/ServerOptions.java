package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.TransportChoice;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Configuration of a {@link ServerVerticle}. Setters check their input at once and throw
 * {@link IllegalArgumentException} stating the rule; {@link #toJson()} and
 * {@link #ServerOptions(JsonObject)} round-trip, so the options can travel as verticle config.
 */
public class ServerOptions {

  /** Socket path used when none is given. */
  public static final String DEFAULT_PATH = "/tmp/unixsocket.sock";
  /** Frames are length-prefixed unless told otherwise. */
  public static final Framing DEFAULT_FRAMING = Framing.LENGTH;
  /** Prepended to every payload by the echo handler. */
  public static final String DEFAULT_ECHO_PREFIX = "echo:";
  /** Largest payload accepted: 10 MiB. */
  public static final int DEFAULT_MAX_FRAME = Framing.DEFAULT_MAX_FRAME;
  /** Owner read/write only: other users cannot connect unless the mode is widened. */
  public static final int DEFAULT_SOCKET_MODE = 0600;
  /** One event loop serves all connections unless more instances are asked for. */
  public static final int DEFAULT_INSTANCES = 1;
  /** epoll where available. */
  public static final TransportChoice DEFAULT_TRANSPORT = TransportChoice.AUTO;
  /** How long a graceful stop waits for connections to flush their replies, in milliseconds. */
  public static final long DEFAULT_STOP_TIMEOUT_MS = 5_000;
  /** The kernel's limit for a socket path: sun_path holds 108 bytes including the final NUL. */
  public static final int MAX_PATH_BYTES = 107;

  private String path = DEFAULT_PATH;
  private Framing framing = DEFAULT_FRAMING;
  private String echoPrefix = DEFAULT_ECHO_PREFIX;
  private int maxFrame = DEFAULT_MAX_FRAME;
  private int socketMode = DEFAULT_SOCKET_MODE;
  private int instances = DEFAULT_INSTANCES;
  private TransportChoice transport = DEFAULT_TRANSPORT;
  private long stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS;

  public ServerOptions() {
  }

  public ServerOptions(ServerOptions other) {
    this.path = other.path;
    this.framing = other.framing;
    this.echoPrefix = other.echoPrefix;
    this.maxFrame = other.maxFrame;
    this.socketMode = other.socketMode;
    this.instances = other.instances;
    this.transport = other.transport;
    this.stopTimeoutMs = other.stopTimeoutMs;
  }

  /** Reads the fields present in {@code json}; absent ones keep their defaults. */
  public ServerOptions(JsonObject json) {
    this();
    if (json == null) {
      return;
    }
    if (json.containsKey("path")) {
      setPath(json.getString("path"));
    }
    if (json.containsKey("framing")) {
      setFraming(Framing.of(json.getString("framing")));
    }
    if (json.containsKey("echoPrefix")) {
      setEchoPrefix(json.getString("echoPrefix"));
    }
    if (json.containsKey("maxFrame")) {
      setMaxFrame(json.getInteger("maxFrame"));
    }
    if (json.containsKey("socketMode")) {
      Object mode = json.getValue("socketMode");
      setSocketMode(mode instanceof Number ? ((Number) mode).intValue() : parseMode(String.valueOf(mode)));
    }
    if (json.containsKey("instances")) {
      setInstances(json.getInteger("instances"));
    }
    if (json.containsKey("transport")) {
      setTransport(TransportChoice.of(json.getString("transport")));
    }
    if (json.containsKey("stopTimeoutMs")) {
      setStopTimeoutMs(json.getLong("stopTimeoutMs"));
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("path", path)
        .put("framing", framing.label())
        .put("echoPrefix", echoPrefix)
        .put("maxFrame", maxFrame)
        .put("socketMode", Integer.toOctalString(socketMode))
        .put("instances", instances)
        .put("transport", transport.label())
        .put("stopTimeoutMs", stopTimeoutMs);
  }

  public String getPath() {
    return path;
  }

  /** The socket's filesystem path: absolute or relative, at most 107 bytes. */
  public ServerOptions setPath(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("path must not be empty");
    }
    int bytes = path.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("socket path is " + bytes + " bytes, over the kernel's limit of "
          + MAX_PATH_BYTES + ": " + path + "; use a shorter path such as /tmp/app.sock");
    }
    this.path = path;
    return this;
  }

  public Framing getFraming() {
    return framing;
  }

  public ServerOptions setFraming(Framing framing) {
    this.framing = Objects.requireNonNull(framing, "framing");
    checkPrefixFitsFraming();
    return this;
  }

  public String getEchoPrefix() {
    return echoPrefix;
  }

  /** Text put before each echoed payload; may be empty. */
  public ServerOptions setEchoPrefix(String echoPrefix) {
    this.echoPrefix = Objects.requireNonNull(echoPrefix, "echoPrefix");
    checkPrefixFitsFraming();
    return this;
  }

  public int getMaxFrame() {
    return maxFrame;
  }

  /** Largest payload accepted, in bytes (0 or more); a larger frame closes its connection. */
  public ServerOptions setMaxFrame(int maxFrame) {
    if (maxFrame < 0) {
      throw new IllegalArgumentException("maxFrame must be >= 0, was " + maxFrame);
    }
    this.maxFrame = maxFrame;
    return this;
  }

  public int getSocketMode() {
    return socketMode;
  }

  /** Permission bits of the socket file, 0 to 0777 (e.g. {@code 0660} to let the group connect). */
  public ServerOptions setSocketMode(int socketMode) {
    if (socketMode < 0 || socketMode > 0777) {
      throw new IllegalArgumentException("socketMode must be between 0 and 0777 (octal), was " + Integer.toOctalString(socketMode));
    }
    this.socketMode = socketMode;
    return this;
  }

  public int getInstances() {
    return instances;
  }

  /** How many event loops serve connections (1 or more). */
  public ServerOptions setInstances(int instances) {
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be >= 1, was " + instances);
    }
    this.instances = instances;
    return this;
  }

  public TransportChoice getTransport() {
    return transport;
  }

  /**
   * The transport the server expects. The Vert.x instance must run on it (the launcher sees to
   * that); with anything but {@code AUTO}, a verticle on another transport fails to start.
   */
  public ServerOptions setTransport(TransportChoice transport) {
    this.transport = Objects.requireNonNull(transport, "transport");
    return this;
  }

  public long getStopTimeoutMs() {
    return stopTimeoutMs;
  }

  /** How long a graceful stop waits for connections to flush (0 or more milliseconds). */
  public ServerOptions setStopTimeoutMs(long stopTimeoutMs) {
    if (stopTimeoutMs < 0) {
      throw new IllegalArgumentException("stopTimeoutMs must be >= 0, was " + stopTimeoutMs);
    }
    this.stopTimeoutMs = stopTimeoutMs;
    return this;
  }

  /** Parses an octal mode such as {@code 600} or {@code 0660}. */
  public static int parseMode(String text) {
    try {
      return Integer.parseInt(text.trim(), 8);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("socket mode must be octal digits such as 600 or 660, was '" + text + "'");
    }
  }

  private void checkPrefixFitsFraming() {
    if (framing == Framing.LINE && echoPrefix.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("echoPrefix must not contain a newline with line framing");
    }
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
