package dev.unixsocket.client;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Sends event-bus messages as frames to a Unix domain socket server, and keeps doing so across
 * server restarts.
 *
 * <h2>Event-bus contract (addresses from {@link ClientOptions}; defaults shown)</h2>
 * <ul>
 *   <li>{@code uds.client.send} (consumed): body {@link Buffer}, {@link String} (UTF-8) or
 *   {@link JsonObject} (its JSON text): one frame each, written in arrival order. With
 *   {@code request}, the reply is the server's reply frame as a {@link Buffer}; replies are
 *   matched first in, first out, since the server answers every frame once and in order. With
 *   {@code send}, the server's reply is published on the inbound address. A message that cannot
 *   be delivered fails with a {@link io.vertx.core.eventbus.ReplyException} carrying one of the
 *   {@link ClientFailure} codes. A {@link JsonArray} body is a batch: one frame per element
 *   (each a Buffer, String or JsonObject), queued together or refused together; the reply (or,
 *   for {@code send}, the inbound publication) is a JsonArray of the reply frames, element
 *   {@code i} answering element {@code i}; a failure of any of its frames fails the whole batch
 *   once.</li>
 *   <li>{@code uds.client.inbound} (published): server frames, as {@link Buffer}s, that answer no
 *   request, with header {@value #ORIGIN_HEADER}: {@value #ORIGIN_HELLO} (the reply to the hello
 *   message), {@value #ORIGIN_SEND} (the reply to a {@code send}) or {@value #ORIGIN_UNSOLICITED}
 *   (a frame that arrived when nothing was outstanding).</li>
 *   <li>{@code uds.client.status} (published): a {@link JsonObject} on every state change:
 *   {@code state} ({@link ConnectionState} name), {@code path}, {@code attempt} (the reconnect
 *   attempt scheduled, under way or that succeeded; 0 for the first connect and after a
 *   connection proved itself), {@code nextRetryMs} (delay until the next attempt when
 *   DISCONNECTED, else -1; -1 also when the client gave up, and when it reconnects at once after
 *   the server drained the connection: the reason says which) and {@code reason}.</li>
 * </ul>
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li>Deployment succeeds once the send consumer is registered, whether or not the server is
 *   up: a missing socket file or a refused connection means "not up yet" and is retried on a
 *   Vert.x timer with {@link Backoff} (one timer at most; none after stop).</li>
 *   <li>While disconnected, messages wait in a bounded queue ({@code queueCapacity}); they go out
 *   in order after reconnect, after the hello message if one is configured.</li>
 *   <li>Messages queued during one event-loop turn go out in one socket write (capped at
 *   {@code maxBatchBytes}); writing pauses while the socket's write queue is full and resumes
 *   on drain.</li>
 *   <li>When a connection drops, frames written but unanswered fail with
 *   {@link ClientFailure#CONNECTION_LOST}, or with {@link InFlightOnLoss#RESEND} return to the
 *   head of the queue in order. Each connection starts with fresh state: decoder, write
 *   buffer, pending hello and error all belong to the connection and die with it.</li>
 *   <li>An outage ends when a connection proves itself: a frame arrives on it, or it stays open
 *   for {@value #PROVEN_AFTER_MS} ms. A connection the server accepts and drops at once counts
 *   as a failed attempt, so a server that keeps refusing us that way still exhausts a bounded
 *   {@code reconnectAttempts} and the delay still grows.</li>
 *   <li>Undeploying fails everything queued or in flight with {@link ClientFailure#STOPPED},
 *   cancels the timer, closes the socket and publishes STOPPED.</li>
 * </ul>
 * Everything runs on the verticle's event loop: no locks. Deploy one instance per send address:
 * several instances would share the address round-robin, each on its own connection, and
 * replies would no longer come back in the order the messages were sent.
 *
 * <p>The parts: {@code Intake} takes and checks messages; {@code ConnectionWatchdog} connects,
 * reconnects and publishes the status; each {@code Connection} writes, reads and matches replies
 * on one socket; every frame is an {@code Outbound} that completes itself.
 *
 * <p>The event bus's own send timeout still applies to requests waiting in the queue; see
 * {@code docs/event-bus.md} for every failure code and what to do about it.
 */
public class ClientVerticle extends VerticleBase {

  /** Header on inbound publications saying which message, if any, the frame answers. */
  public static final String ORIGIN_HEADER = "origin";
  /** {@link #ORIGIN_HEADER} value: the reply to the hello message. */
  public static final String ORIGIN_HELLO = "hello";
  /** {@link #ORIGIN_HEADER} value: the reply to a message sent with {@code send}. */
  public static final String ORIGIN_SEND = "send";
  /** {@link #ORIGIN_HEADER} value: a frame that arrived when no message was outstanding. */
  public static final String ORIGIN_UNSOLICITED = "unsolicited";
  /** A connection open this long without a frame from the server still counts as a success. */
  public static final long PROVEN_AFTER_MS = 1_000;

  private ClientOptions options;
  private final RandomGenerator random;
  private final ClientStats stats = new ClientStats();
  private NetClient netClient;
  private MessageConsumer<Object> consumer;
  private Intake intake;
  private ConnectionWatchdog watchdog;
  private MeterRegistry meterRegistry;
  private List<Meter> meters = List.of();

  /** Takes its options from the deployment's JSON config. */
  public ClientVerticle() {
    this(null, RandomGenerator.getDefault());
  }

  public ClientVerticle(ClientOptions options) {
    this(Objects.requireNonNull(options, "options"), RandomGenerator.getDefault());
  }

  /** With a chosen random source for the backoff's jitter, so that tests are repeatable. */
  ClientVerticle(ClientOptions options, RandomGenerator random) {
    this.options = options == null ? null : new ClientOptions(options);
    this.random = random;
  }

  @Override
  public Future<?> start() {
    Backoff backoff;
    Buffer hello;
    try {
      if (options == null) {
        options = new ClientOptions(config());
      }
      backoff = Backoff.of(options, random);
      hello = checkCombinations(options);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String path = options.getPath();
    OutboundQueue<Outbound> queue = new OutboundQueue<>(options.getQueueCapacity());
    Failures failures = new Failures(stats, path);
    Shared shared = new Shared(options, hello, context, queue, stats, failures,
        new Inbound(vertx.eventBus(), options.getInboundAddress()));
    netClient = vertx.createNetClient(new NetClientOptions());
    intake = new Intake(options, queue, failures, () -> watchdog.admitted());
    watchdog = new ConnectionWatchdog(vertx, shared, netClient, backoff, intake);
    consumer = vertx.eventBus().consumer(options.getSendAddress(), intake::accept);
    meterRegistry = BackendRegistries.getDefaultNow(); // null unless Vert.x runs with Micrometer metrics
    if (meterRegistry != null) {
      meters = stats.bindTo(meterRegistry, path);
    }
    // Deployed once we can take messages; the first connect runs in the background.
    return consumer.completion().onSuccess(v -> watchdog.connect());
  }

  /**
   * Checks the rules that tie options together.
   *
   * @return the hello message's payload, {@code null} without one
   */
  private static Buffer checkCombinations(ClientOptions options) {
    String send = options.getSendAddress();
    if (send.equals(options.getInboundAddress()) || send.equals(options.getStatusAddress())) {
      throw new IllegalArgumentException("sendAddress " + send
          + " must differ from inboundAddress and statusAddress: the client would consume its own publications");
    }
    if (options.getHello() == null) {
      return null;
    }
    Buffer payload = Buffer.buffer(options.getHello().getBytes(StandardCharsets.UTF_8));
    if (payload.length() > options.getMaxFrame()) {
      throw new IllegalArgumentException("hello message is " + payload.length() + " bytes, over maxFrame " + options.getMaxFrame());
    }
    options.getFraming().check(payload); // throws for a newline under line framing
    return payload;
  }

  @Override
  public Future<?> stop() {
    meters.forEach(m -> meterRegistry.remove(m));
    if (consumer == null) {
      return Future.succeededFuture(); // start never got as far as taking messages
    }
    intake.close(ClientFailure.STOPPED, "client stopped");
    Future<Void> socketClosed = watchdog.stop();
    return Future.join(consumer.unregister(), socketClosed, netClient.close()).mapEmpty();
  }

  /** Counters: frames and bytes each way, connects, reconnect attempts, failures by code. */
  public ClientStats stats() {
    return stats;
  }

  /** Messages waiting to be written: a snapshot for monitoring, readable from any thread. */
  public int queuedCount() {
    return stats.queuedSnapshot;
  }

  /** Messages written and not yet answered: a snapshot for monitoring, readable from any thread. */
  public int inFlightCount() {
    return stats.inFlightSnapshot;
  }

  /** A copy of the options in force (after deployment, including those read from config). */
  public ClientOptions options() {
    return new ClientOptions(options);
  }

  /** Socket writes made so far (each carrying one batch of frames). */
  long writeCount() {
    return stats.writes.sum();
  }

  /** The verticle's context, for tests that must act within one of its event-loop turns. */
  Context contextForTest() {
    return context;
  }

  /** The live connection or {@code null}; call on the verticle's context. */
  Connection connectionForTest() {
    return watchdog.current();
  }
}
