package dev.unixsocket.client;

import dev.unixsocket.wire.EndpointOptions;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.JsonFields;
import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * Configuration of a {@link ClientVerticle}. Setters check their input at once and throw
 * {@link IllegalArgumentException} stating the rule; {@link #toJson()} and
 * {@link #ClientOptions(JsonObject)} round-trip, so the options can travel as verticle config.
 * The endpoint fields (path, framing, max-frame) and their limits are {@link EndpointOptions}'s,
 * shared with the server. Rules that tie two options together (maximum delay at least the initial one, hello no longer
 * than max-frame, distinct addresses) are checked when the verticle starts.
 */
public class ClientOptions {

  /** Socket path used when none is given, the server's default: $XDG_RUNTIME_DIR/unixsocket.sock, else /tmp/unixsocket.sock. */
  public static final String DEFAULT_PATH = EndpointOptions.DEFAULT_PATH;
  /** Frames are length-prefixed unless told otherwise. */
  public static final Framing DEFAULT_FRAMING = EndpointOptions.DEFAULT_FRAMING;
  /** Largest payload sent or accepted: 10 MiB. */
  public static final int DEFAULT_MAX_FRAME = EndpointOptions.DEFAULT_MAX_FRAME;
  /** Event-bus address the client consumes messages to send from. */
  public static final String DEFAULT_SEND_ADDRESS = "uds.client.send";
  /** Event-bus address where server frames that answer no request are published. */
  public static final String DEFAULT_INBOUND_ADDRESS = "uds.client.inbound";
  /** Event-bus address where the status JSON is published on every state change. */
  public static final String DEFAULT_STATUS_ADDRESS = "uds.client.status";
  /** Delay before the first reconnect attempt, in milliseconds. */
  public static final long DEFAULT_RECONNECT_INITIAL_DELAY_MS = 100;
  /** Factor applied to the delay after each failed attempt. */
  public static final double DEFAULT_RECONNECT_MULTIPLIER = 2.0;
  /** Upper bound of the delay between attempts, in milliseconds. */
  public static final long DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;
  /** Fraction of each delay that may randomly be taken off, so that clients do not reconnect in step. */
  public static final double DEFAULT_RECONNECT_JITTER = 0.2;
  /** Reconnect attempts per outage; {@value} means forever. */
  public static final int DEFAULT_RECONNECT_ATTEMPTS = -1;
  /** Messages that may wait to be written (while disconnected, or behind a slow socket). */
  public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
  /** No hello message unless one is given. */
  public static final String DEFAULT_HELLO = null;
  /** Unanswered messages fail when the connection drops (at most once). */
  public static final InFlightOnLoss DEFAULT_IN_FLIGHT_ON_LOSS = InFlightOnLoss.FAIL;
  /** Most bytes handed to the socket in one write (one frame larger than this goes alone). */
  public static final int DEFAULT_MAX_BATCH_BYTES = 64 * 1024;
  /** The kernel's limit for a socket path: sun_path holds 108 bytes including the final NUL. */
  public static final int MAX_PATH_BYTES = EndpointOptions.MAX_PATH_BYTES;

  private final EndpointOptions endpoint;
  private String sendAddress = DEFAULT_SEND_ADDRESS;
  private String inboundAddress = DEFAULT_INBOUND_ADDRESS;
  private String statusAddress = DEFAULT_STATUS_ADDRESS;
  private long reconnectInitialDelayMs = DEFAULT_RECONNECT_INITIAL_DELAY_MS;
  private double reconnectMultiplier = DEFAULT_RECONNECT_MULTIPLIER;
  private long reconnectMaxDelayMs = DEFAULT_RECONNECT_MAX_DELAY_MS;
  private double reconnectJitter = DEFAULT_RECONNECT_JITTER;
  private int reconnectAttempts = DEFAULT_RECONNECT_ATTEMPTS;
  private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
  private String hello = DEFAULT_HELLO;
  private InFlightOnLoss inFlightOnLoss = DEFAULT_IN_FLIGHT_ON_LOSS;
  private int maxBatchBytes = DEFAULT_MAX_BATCH_BYTES;

  public ClientOptions() {
    endpoint = new EndpointOptions();
  }

  public ClientOptions(ClientOptions other) {
    this.endpoint = new EndpointOptions(other.endpoint);
    this.sendAddress = other.sendAddress;
    this.inboundAddress = other.inboundAddress;
    this.statusAddress = other.statusAddress;
    this.reconnectInitialDelayMs = other.reconnectInitialDelayMs;
    this.reconnectMultiplier = other.reconnectMultiplier;
    this.reconnectMaxDelayMs = other.reconnectMaxDelayMs;
    this.reconnectJitter = other.reconnectJitter;
    this.reconnectAttempts = other.reconnectAttempts;
    this.queueCapacity = other.queueCapacity;
    this.hello = other.hello;
    this.inFlightOnLoss = other.inFlightOnLoss;
    this.maxBatchBytes = other.maxBatchBytes;
  }

  /**
   * Reads the fields present in {@code json}; absent ones keep their defaults, unknown ones are
   * ignored (see {@link JsonFields} for why, and for the WARN about a misspelt one).
   *
   * @throws IllegalArgumentException naming the field when a value has the wrong type or breaks a rule
   */
  public ClientOptions(JsonObject json) {
    this();
    JsonFields fields = new JsonFields(json, "client option");
    endpoint.read(fields);
    fields.readString("sendAddress", this::setSendAddress);
    fields.readString("inboundAddress", this::setInboundAddress);
    fields.readString("statusAddress", this::setStatusAddress);
    fields.readLong("reconnectInitialDelayMs", this::setReconnectInitialDelayMs);
    fields.readDouble("reconnectMultiplier", this::setReconnectMultiplier);
    fields.readLong("reconnectMaxDelayMs", this::setReconnectMaxDelayMs);
    fields.readDouble("reconnectJitter", this::setReconnectJitter);
    fields.readInt("reconnectAttempts", this::setReconnectAttempts);
    fields.readInt("queueCapacity", this::setQueueCapacity);
    fields.readNullableString("hello", this::setHello);
    fields.readString("inFlightOnLoss", v -> setInFlightOnLoss(InFlightOnLoss.of(v)));
    fields.readInt("maxBatchBytes", this::setMaxBatchBytes);
    fields.warnNearMisses();
  }

  public JsonObject toJson() {
    return endpoint.toJson()
        .put("sendAddress", sendAddress)
        .put("inboundAddress", inboundAddress)
        .put("statusAddress", statusAddress)
        .put("reconnectInitialDelayMs", reconnectInitialDelayMs)
        .put("reconnectMultiplier", reconnectMultiplier)
        .put("reconnectMaxDelayMs", reconnectMaxDelayMs)
        .put("reconnectJitter", reconnectJitter)
        .put("reconnectAttempts", reconnectAttempts)
        .put("queueCapacity", queueCapacity)
        .put("hello", hello)
        .put("inFlightOnLoss", inFlightOnLoss.label())
        .put("maxBatchBytes", maxBatchBytes);
  }

  public String getPath() {
    return endpoint.getPath();
  }

  /** The server's socket path: absolute or relative, at most 107 bytes. */
  public ClientOptions setPath(String path) {
    endpoint.setPath(path);
    return this;
  }

  public Framing getFraming() {
    return endpoint.getFraming();
  }

  /** Must match the server's framing. */
  public ClientOptions setFraming(Framing framing) {
    endpoint.setFraming(framing);
    return this;
  }

  public int getMaxFrame() {
    return endpoint.getMaxFrame();
  }

  /**
   * Largest payload, in bytes, sent (larger ones fail at once) or accepted from the server (larger
   * ones drop the connection). See {@link EndpointOptions#setMaxFrame}.
   */
  public ClientOptions setMaxFrame(int maxFrame) {
    endpoint.setMaxFrame(maxFrame);
    return this;
  }

  public String getSendAddress() {
    return sendAddress;
  }

  public ClientOptions setSendAddress(String sendAddress) {
    this.sendAddress = address("sendAddress", sendAddress);
    return this;
  }

  public String getInboundAddress() {
    return inboundAddress;
  }

  public ClientOptions setInboundAddress(String inboundAddress) {
    this.inboundAddress = address("inboundAddress", inboundAddress);
    return this;
  }

  public String getStatusAddress() {
    return statusAddress;
  }

  public ClientOptions setStatusAddress(String statusAddress) {
    this.statusAddress = address("statusAddress", statusAddress);
    return this;
  }

  private static String address(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return value;
  }

  public long getReconnectInitialDelayMs() {
    return reconnectInitialDelayMs;
  }

  /** Delay before the first reconnect attempt of an outage; at least 1 ms (a Vert.x timer's minimum). */
  public ClientOptions setReconnectInitialDelayMs(long reconnectInitialDelayMs) {
    if (reconnectInitialDelayMs < 1) {
      throw new IllegalArgumentException("reconnectInitialDelayMs must be >= 1, was " + reconnectInitialDelayMs);
    }
    this.reconnectInitialDelayMs = reconnectInitialDelayMs;
    return this;
  }

  public double getReconnectMultiplier() {
    return reconnectMultiplier;
  }

  /** Growth of the delay per failed attempt; 1.0 keeps it constant. */
  public ClientOptions setReconnectMultiplier(double reconnectMultiplier) {
    if (!(reconnectMultiplier >= 1.0) || Double.isInfinite(reconnectMultiplier)) {
      throw new IllegalArgumentException("reconnectMultiplier must be a finite number >= 1.0, was " + reconnectMultiplier);
    }
    this.reconnectMultiplier = reconnectMultiplier;
    return this;
  }

  public long getReconnectMaxDelayMs() {
    return reconnectMaxDelayMs;
  }

  /** Cap of the delay between attempts; must be at least the initial delay (checked at start). */
  public ClientOptions setReconnectMaxDelayMs(long reconnectMaxDelayMs) {
    if (reconnectMaxDelayMs < 1) {
      throw new IllegalArgumentException("reconnectMaxDelayMs must be >= 1, was " + reconnectMaxDelayMs);
    }
    this.reconnectMaxDelayMs = reconnectMaxDelayMs;
    return this;
  }

  public double getReconnectJitter() {
    return reconnectJitter;
  }

  /** Up to this fraction of each delay is taken off at random: 0 (none) to 1. */
  public ClientOptions setReconnectJitter(double reconnectJitter) {
    if (!(reconnectJitter >= 0.0 && reconnectJitter <= 1.0)) {
      throw new IllegalArgumentException("reconnectJitter must be between 0.0 and 1.0, was " + reconnectJitter);
    }
    this.reconnectJitter = reconnectJitter;
    return this;
  }

  public int getReconnectAttempts() {
    return reconnectAttempts;
  }

  /**
   * Reconnect attempts per outage before giving up with {@link ClientFailure#ATTEMPTS_EXHAUSTED};
   * -1 retries forever, 0 never reconnects. An outage ends when a connection proves itself
   * (see {@link ClientVerticle}).
   */
  public ClientOptions setReconnectAttempts(int reconnectAttempts) {
    if (reconnectAttempts < -1) {
      throw new IllegalArgumentException("reconnectAttempts must be >= 0, or -1 for forever, was " + reconnectAttempts);
    }
    this.reconnectAttempts = reconnectAttempts;
    return this;
  }

  public int getQueueCapacity() {
    return queueCapacity;
  }

  /** Messages that may wait to be written; the next one fails with {@link ClientFailure#QUEUE_FULL}. */
  public ClientOptions setQueueCapacity(int queueCapacity) {
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
    }
    this.queueCapacity = queueCapacity;
    return this;
  }

  public String getHello() {
    return hello;
  }

  /** A message sent first on every (re)connect, its reply published on the inbound address; {@code null} for none. */
  public ClientOptions setHello(String hello) {
    this.hello = hello;
    return this;
  }

  public InFlightOnLoss getInFlightOnLoss() {
    return inFlightOnLoss;
  }

  public ClientOptions setInFlightOnLoss(InFlightOnLoss inFlightOnLoss) {
    this.inFlightOnLoss = Objects.requireNonNull(inFlightOnLoss, "inFlightOnLoss must not be null");
    return this;
  }

  public int getMaxBatchBytes() {
    return maxBatchBytes;
  }

  /** Most bytes per socket write when several queued messages go out together. */
  public ClientOptions setMaxBatchBytes(int maxBatchBytes) {
    if (maxBatchBytes < 1) {
      throw new IllegalArgumentException("maxBatchBytes must be >= 1, was " + maxBatchBytes);
    }
    this.maxBatchBytes = maxBatchBytes;
    return this;
  }

  @Override
  public String toString() {
    return "ClientOptions" + toJson().encode();
  }
}
