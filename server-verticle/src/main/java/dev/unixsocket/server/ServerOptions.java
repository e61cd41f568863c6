package dev.unixsocket.server;

import dev.unixsocket.transport.TransportChoice;
import dev.unixsocket.wire.EndpointOptions;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.JsonFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of a {@link ServerVerticle}. Setters check their input at once and throw
 * {@link IllegalArgumentException} stating the rule; {@link #toJson()} and
 * {@link #ServerOptions(JsonObject)} round-trip, so the options can travel as verticle config.
 * The endpoint fields (path, framing, max-frame) and their limits are {@link EndpointOptions}'s,
 * shared with the client.
 */
public class ServerOptions {

  /** Socket path used when none is given: $XDG_RUNTIME_DIR/unixsocket.sock if set, else /tmp/unixsocket.sock. */
  public static final String DEFAULT_PATH = EndpointOptions.DEFAULT_PATH;
  /** Frames are length-prefixed unless told otherwise. */
  public static final Framing DEFAULT_FRAMING = EndpointOptions.DEFAULT_FRAMING;
  /** Prepended to every payload by the echo handler. */
  public static final String DEFAULT_ECHO_PREFIX = "echo:";
  /** Largest payload accepted: 10 MiB. */
  public static final int DEFAULT_MAX_FRAME = EndpointOptions.DEFAULT_MAX_FRAME;
  /** Owner read/write only: other users cannot connect unless the mode is widened. */
  public static final int DEFAULT_SOCKET_MODE = 0600;
  /** One event loop serves all connections unless more instances are asked for. */
  public static final int DEFAULT_INSTANCES = 1;
  /** epoll where available. */
  public static final TransportChoice DEFAULT_TRANSPORT = TransportChoice.AUTO;
  /**
   * How long a graceful stop waits for peers to confirm they stopped writing (section 6 of the
   * spec: drain) before it stops reading, answers what it read and closes: 10 s.
   */
  public static final long DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
  /** Frames are echoed unless an event-bus handler is asked for. */
  public static final FrameHandler DEFAULT_HANDLER = FrameHandler.ECHO;
  /** Where the event-bus handler sends each frame. */
  public static final String DEFAULT_INBOUND_ADDRESS = "uds.server.inbound";
  /** How long the event-bus handler waits for a reply before answering with an error frame. */
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
  /** Put before the reason in the frame that answers a failed or timed-out event-bus request. */
  public static final String DEFAULT_ERROR_PREFIX = "error:";
  /** Event-bus requests one connection may have outstanding before its reading pauses. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
  /** Frames per event-bus request with the event-bus handler: 1 = one request per frame. */
  public static final int DEFAULT_HANDLER_BATCH = 1;
  /** The largest batch: a JsonArray of this many frames is one event-bus message. */
  public static final int MAX_HANDLER_BATCH = 65_536;
  /** No limit on open connections by default (0 = none). */
  public static final int DEFAULT_MAX_CONNECTIONS = 0;
  /** No idle timeout by default (0 = none). */
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 0;
  /** Reply bytes queued for one connection before its reading pauses (a peer that does not read). */
  public static final int DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
  /** The kernel's limit for a socket path: sun_path holds 108 bytes including the final NUL. */
  public static final int MAX_PATH_BYTES = EndpointOptions.MAX_PATH_BYTES;

  private final EndpointOptions endpoint;
  private String echoPrefix = DEFAULT_ECHO_PREFIX;
  private int socketMode = DEFAULT_SOCKET_MODE;
  private int instances = DEFAULT_INSTANCES;
  private TransportChoice transport = DEFAULT_TRANSPORT;
  private long drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS;
  private boolean replace;
  private int inheritedFd = -1;
  private FrameHandler handler = DEFAULT_HANDLER;
  private String inboundAddress = DEFAULT_INBOUND_ADDRESS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private String errorPrefix = DEFAULT_ERROR_PREFIX;
  private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
  private int handlerBatch = DEFAULT_HANDLER_BATCH;
  private Set<Integer> allowUids = Set.of();
  private int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private int idleTimeoutSeconds = DEFAULT_IDLE_TIMEOUT_SECONDS;
  private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;

  public ServerOptions() {
    endpoint = new EndpointOptions();
  }

  public ServerOptions(ServerOptions other) {
    this.endpoint = new EndpointOptions(other.endpoint);
    this.echoPrefix = other.echoPrefix;
    this.socketMode = other.socketMode;
    this.instances = other.instances;
    this.transport = other.transport;
    this.drainTimeoutMs = other.drainTimeoutMs;
    this.replace = other.replace;
    this.inheritedFd = other.inheritedFd;
    this.handler = other.handler;
    this.inboundAddress = other.inboundAddress;
    this.requestTimeoutMs = other.requestTimeoutMs;
    this.errorPrefix = other.errorPrefix;
    this.maxInFlight = other.maxInFlight;
    this.handlerBatch = other.handlerBatch;
    this.allowUids = other.allowUids;
    this.maxConnections = other.maxConnections;
    this.idleTimeoutSeconds = other.idleTimeoutSeconds;
    this.maxQueuedBytes = other.maxQueuedBytes;
  }

  /**
   * Reads the fields present in {@code json}; absent ones keep their defaults, unknown ones are
   * ignored (see {@link JsonFields} for why, and for the WARN about a misspelt one).
   *
   * @throws IllegalArgumentException naming the field when a value has the wrong type or breaks a rule
   */
  public ServerOptions(JsonObject json) {
    this();
    JsonFields fields = new JsonFields(json, "server option");
    endpoint.read(fields);
    // After framing, so that a newline in the prefix is judged against the configured framing.
    fields.readString("echoPrefix", this::setEchoPrefix);
    fields.readValue("socketMode", mode -> setSocketMode(mode instanceof Number
        ? ((Number) mode).intValue() : parseMode(String.valueOf(mode))));
    fields.readInt("instances", this::setInstances);
    fields.readString("transport", v -> setTransport(TransportChoice.of(v)));
    fields.readLong("stopTimeoutMs", this::setDrainTimeoutMs); // the name before drain existed
    fields.readValue("drainTimeoutSeconds", v -> setDrainTimeoutMs(secondsToMs(v)));
    fields.readValue("replace", v -> {
      if (!(v instanceof Boolean)) {
        throw new IllegalArgumentException("must be true or false");
      }
      setReplace((Boolean) v);
    });
    fields.readInt("inheritedFd", this::setInheritedFd);
    fields.readString("handler", v -> setHandler(FrameHandler.of(v)));
    fields.readString("inboundAddress", this::setInboundAddress);
    fields.readLong("requestTimeoutMs", this::setRequestTimeoutMs);
    fields.readString("errorPrefix", this::setErrorPrefix);
    fields.readInt("maxInFlight", this::setMaxInFlight);
    fields.readInt("handlerBatch", this::setHandlerBatch);
    fields.readIntList("allowUids", uids -> setAllowUids(new LinkedHashSet<>(uids)));
    fields.readInt("maxConnections", this::setMaxConnections);
    fields.readInt("idleTimeoutSeconds", this::setIdleTimeoutSeconds);
    fields.readInt("maxQueuedBytes", this::setMaxQueuedBytes);
    fields.warnNearMisses();
  }

  public JsonObject toJson() {
    return endpoint.toJson()
        .put("echoPrefix", echoPrefix)
        .put("socketMode", Integer.toOctalString(socketMode))
        .put("instances", instances)
        .put("transport", transport.label())
        .put("drainTimeoutSeconds", drainTimeoutMs % 1000 == 0 ? (Object) (drainTimeoutMs / 1000) : (Object) (drainTimeoutMs / 1000.0))
        .put("replace", replace)
        .put("inheritedFd", inheritedFd)
        .put("handler", handler.label())
        .put("inboundAddress", inboundAddress)
        .put("requestTimeoutMs", requestTimeoutMs)
        .put("errorPrefix", errorPrefix)
        .put("maxInFlight", maxInFlight)
        .put("handlerBatch", handlerBatch)
        .put("allowUids", new JsonArray(new ArrayList<>(allowUids)))
        .put("maxConnections", maxConnections)
        .put("idleTimeoutSeconds", idleTimeoutSeconds)
        .put("maxQueuedBytes", maxQueuedBytes);
  }

  public String getPath() {
    return endpoint.getPath();
  }

  /** The socket's filesystem path: absolute or relative, at most 107 bytes. */
  public ServerOptions setPath(String path) {
    endpoint.setPath(path);
    return this;
  }

  public Framing getFraming() {
    return endpoint.getFraming();
  }

  /** {@code length} or {@code line}; with {@code line}, the echo prefix must hold no newline. */
  public ServerOptions setFraming(Framing framing) {
    checkPrefixFitsFraming(Objects.requireNonNull(framing, "framing must not be null"), echoPrefix);
    endpoint.setFraming(framing);
    return this;
  }

  public String getEchoPrefix() {
    return echoPrefix;
  }

  /** Text put before each echoed payload; may be empty. */
  public ServerOptions setEchoPrefix(String echoPrefix) {
    checkPrefixFitsFraming(getFraming(), Objects.requireNonNull(echoPrefix, "echoPrefix must not be null"));
    this.echoPrefix = echoPrefix;
    return this;
  }

  public int getMaxFrame() {
    return endpoint.getMaxFrame();
  }

  /** Largest payload accepted, in bytes; a larger frame closes its connection. See {@link EndpointOptions#setMaxFrame}. */
  public ServerOptions setMaxFrame(int maxFrame) {
    endpoint.setMaxFrame(maxFrame);
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

  public long getDrainTimeoutMs() {
    return drainTimeoutMs;
  }

  /**
   * How long a graceful stop (or a takeover) lets peers finish (0 or more milliseconds): a peer
   * that understands control frames is told to stop writing and closed once it confirms; any
   * peer still open when this passes stops being read, gets the replies to what was read, and
   * is closed.
   */
  public ServerOptions setDrainTimeoutMs(long drainTimeoutMs) {
    if (drainTimeoutMs < 0) {
      throw new IllegalArgumentException("drainTimeout must be >= 0, was " + drainTimeoutMs + " ms");
    }
    this.drainTimeoutMs = drainTimeoutMs;
    return this;
  }

  /** The drain timeout under its former name (JSON {@code stopTimeoutMs} is still read). */
  @Deprecated
  public ServerOptions setStopTimeoutMs(long stopTimeoutMs) {
    return setDrainTimeoutMs(stopTimeoutMs);
  }

  public boolean isReplace() {
    return replace;
  }

  /**
   * Take over the path from a live server of ours instead of refusing it: bind beside the path,
   * rename the new socket over it, then ask the old server (same uid, or root) to drain and exit.
   */
  public ServerOptions setReplace(boolean replace) {
    this.replace = replace;
    return this;
  }

  public int getInheritedFd() {
    return inheritedFd;
  }

  /**
   * Serve this already listening Unix socket descriptor instead of binding the path (systemd
   * socket activation: see {@link SocketActivation#listenFd(String)}); -1, the default, binds.
   * The socket is never unlinked by the server. Epoll only.
   */
  public ServerOptions setInheritedFd(int inheritedFd) {
    if (inheritedFd < -1) {
      throw new IllegalArgumentException("inheritedFd must be a descriptor (>= 0) or -1 for none, was " + inheritedFd);
    }
    this.inheritedFd = inheritedFd;
    return this;
  }

  public FrameHandler getHandler() {
    return handler;
  }

  /** Echo every frame, or pass it to event-bus consumers of the inbound address. */
  public ServerOptions setHandler(FrameHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  public String getInboundAddress() {
    return inboundAddress;
  }

  /** The event-bus address each frame is sent to with the event-bus handler. */
  public ServerOptions setInboundAddress(String inboundAddress) {
    if (inboundAddress == null || inboundAddress.isBlank()) {
      throw new IllegalArgumentException("inboundAddress must not be empty");
    }
    this.inboundAddress = inboundAddress;
    return this;
  }

  public long getRequestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** How long an event-bus request may take (1 ms or more) before an error frame answers it. */
  public ServerOptions setRequestTimeoutMs(long requestTimeoutMs) {
    if (requestTimeoutMs < 1) {
      throw new IllegalArgumentException("requestTimeoutMs must be >= 1, was " + requestTimeoutMs);
    }
    this.requestTimeoutMs = requestTimeoutMs;
    return this;
  }

  public String getErrorPrefix() {
    return errorPrefix;
  }

  /** Put before the reason in the frame answering a failed event-bus request. */
  public ServerOptions setErrorPrefix(String errorPrefix) {
    this.errorPrefix = Objects.requireNonNull(errorPrefix, "errorPrefix");
    if (errorPrefix.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("errorPrefix must not contain a newline");
    }
    return this;
  }

  public int getMaxInFlight() {
    return maxInFlight;
  }

  /** Event-bus requests outstanding per connection (1 or more) before reading from it pauses. */
  public ServerOptions setMaxInFlight(int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    return this;
  }

  public int getHandlerBatch() {
    return handlerBatch;
  }

  /**
   * With the event-bus handler: the frames of one read, at most this many (1 to 65536), go as
   * one request whose body is a JsonArray of them; 1 sends one request per frame.
   */
  public ServerOptions setHandlerBatch(int handlerBatch) {
    if (handlerBatch < 1 || handlerBatch > MAX_HANDLER_BATCH) {
      throw new IllegalArgumentException("handlerBatch must be between 1 and " + MAX_HANDLER_BATCH + ", was " + handlerBatch);
    }
    this.handlerBatch = handlerBatch;
    return this;
  }

  public Set<Integer> getAllowUids() {
    return allowUids;
  }

  /**
   * Only peers whose uid (SO_PEERCRED) is listed may connect; empty lets in any peer the file
   * mode lets in. A refused peer is closed before any frame is read, except one running as this
   * server's own user or root: it may still take the server over ({@link #setReplace}), and is
   * closed at its first data frame.
   */
  public ServerOptions setAllowUids(Set<Integer> allowUids) {
    for (Integer uid : allowUids) {
      if (uid == null || uid < 0) {
        throw new IllegalArgumentException("allowed uids must be >= 0, was " + uid);
      }
    }
    this.allowUids = Set.copyOf(allowUids);
    return this;
  }

  public int getMaxConnections() {
    return maxConnections;
  }

  /**
   * Connections open at once (0 = no limit); more are closed as soon as accepted, except up to
   * three of this server's own user or root, which may still take it over ({@link #setReplace}) and
   * are closed at their first data frame.
   */
  public ServerOptions setMaxConnections(int maxConnections) {
    if (maxConnections < 0) {
      throw new IllegalArgumentException("maxConnections must be >= 0 (0 = no limit), was " + maxConnections);
    }
    this.maxConnections = maxConnections;
    return this;
  }

  public int getIdleTimeoutSeconds() {
    return idleTimeoutSeconds;
  }

  /** A connection that completes no frame for this many seconds is closed (0 = never). */
  public ServerOptions setIdleTimeoutSeconds(int idleTimeoutSeconds) {
    if (idleTimeoutSeconds < 0) {
      throw new IllegalArgumentException("idleTimeoutSeconds must be >= 0 (0 = none), was " + idleTimeoutSeconds);
    }
    this.idleTimeoutSeconds = idleTimeoutSeconds;
    return this;
  }

  public int getMaxQueuedBytes() {
    return maxQueuedBytes;
  }

  /** Reply bytes queued for one connection (1 or more) before reading from it pauses. */
  public ServerOptions setMaxQueuedBytes(int maxQueuedBytes) {
    if (maxQueuedBytes < 1) {
      throw new IllegalArgumentException("maxQueuedBytes must be >= 1, was " + maxQueuedBytes);
    }
    this.maxQueuedBytes = maxQueuedBytes;
    return this;
  }

  /** Seconds, whole or fractional (a number or its text), as milliseconds. */
  public static long secondsToMs(Object seconds) {
    double s;
    try {
      s = seconds instanceof Number ? ((Number) seconds).doubleValue() : Double.parseDouble(String.valueOf(seconds).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seconds must be a number such as 10 or 0.5, was '" + seconds + "'");
    }
    if (!(s >= 0) || s > Long.MAX_VALUE / 1000.0) {
      throw new IllegalArgumentException("seconds must be 0 or more, was " + seconds);
    }
    return Math.round(s * 1000);
  }

  /** Parses a list such as {@code 1000,1001}. */
  public static Set<Integer> parseUids(String text) {
    Set<Integer> uids = new LinkedHashSet<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      try {
        uids.add(Integer.parseInt(part.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("uid must be a number, was '" + part.trim() + "'");
      }
    }
    return uids;
  }

  /** Parses an octal mode such as {@code 600} or {@code 0660}. */
  public static int parseMode(String text) {
    try {
      return Integer.parseInt(text.trim(), 8);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("socket mode must be octal digits such as 600 or 660, was '" + text + "'");
    }
  }

  private static void checkPrefixFitsFraming(Framing framing, String echoPrefix) {
    if (framing == Framing.LINE && echoPrefix.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("echoPrefix must not contain a newline with line framing");
    }
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
