package dev.unixsocket.client;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.netty.channel.unix.Errors;
import io.vertx.core.Future;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
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
 *   DISCONNECTED, else -1; -1 also when the client gave up) and {@code reason}.</li>
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
 * <p>The event bus's own send timeout still applies to requests waiting in the queue; see
 * {@code docs/event-bus.md} for every failure code and what to do about it.
 */
public class ClientVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ClientVerticle.class);

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

  // Linux errno values, negated as Netty's native exceptions report them. Read as literals:
  // touching Netty's Errors class would load the epoll native library even on NIO.
  private static final int ENOENT_NEGATIVE = -2;
  private static final int ECONNREFUSED_NEGATIVE = -111;

  private ClientOptions options;
  private final RandomGenerator random;
  private Backoff backoff;
  /** The hello's payload, checked once at start; null without a hello. */
  private Buffer helloPayload;
  private String path;
  private NetClient netClient;
  private MessageConsumer<Object> consumer;
  private Intake intake;
  private OutboundQueue<Outbound> queue;
  private final ReplyMatcher<Outbound> inFlight = new ReplyMatcher<>();

  private ConnectionState state = ConnectionState.DISCONNECTED;
  /** The live connection; {@code null} unless CONNECTED. */
  private Connection current;
  /** Reconnect attempt scheduled, under way or last made in this outage; 0 when none. */
  private int attempt;
  private long nextRetryMs = -1;
  private long timerId = -1;
  private boolean flushScheduled;
  private final ClientStats stats = new ClientStats();
  private MeterRegistry meterRegistry;
  private List<Meter> meters = List.of();
  private boolean stopped;
  private Inbound inbound;
  private Failures failures;
  private volatile int queuedSnapshot;
  private volatile int inFlightSnapshot;
  /** Socket writes made: tests check batching with it. Written on the event loop only. */
  private volatile long writeCount;

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
    try {
      if (options == null) {
        options = new ClientOptions(config());
      }
      prepare();
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    queue = new OutboundQueue<>(options.getQueueCapacity());
    inbound = new Inbound(vertx.eventBus(), options.getInboundAddress());
    failures = new Failures(stats, path);
    netClient = vertx.createNetClient(new NetClientOptions());
    intake = new Intake(options, queue, failures, this::onAdmitted);
    consumer = vertx.eventBus().consumer(options.getSendAddress(), intake::accept);
    meterRegistry = BackendRegistries.getDefaultNow(); // null unless Vert.x runs with Micrometer metrics
    if (meterRegistry != null) {
      meters = stats.bindTo(meterRegistry, path, this::queuedCount, this::inFlightCount);
    }
    // Deployed once we can take messages; the first connect runs in the background.
    return consumer.completion().onSuccess(v -> connect());
  }

  /** Checks the rules that tie options together and builds what they imply. */
  private void prepare() {
    path = options.getPath();
    backoff = Backoff.of(options, random);
    String send = options.getSendAddress();
    if (send.equals(options.getInboundAddress()) || send.equals(options.getStatusAddress())) {
      throw new IllegalArgumentException("sendAddress " + send
          + " must differ from inboundAddress and statusAddress: the client would consume its own publications");
    }
    if (options.getHello() != null) {
      Buffer payload = Buffer.buffer(options.getHello().getBytes(StandardCharsets.UTF_8));
      if (payload.length() > options.getMaxFrame()) {
        throw new IllegalArgumentException("hello message is " + payload.length() + " bytes, over maxFrame " + options.getMaxFrame());
      }
      options.getFraming().check(payload); // throws for a newline under line framing
      helloPayload = payload;
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  /** The intake admitted a message: it goes out at the end of this event-loop turn. */
  private void onAdmitted() {
    if (current == null) {
      queuedSnapshot = queue.size(); // while connected, flush() updates it once per batch
    }
    scheduleFlush();
  }

  /**
   * Flushes once at the end of this event-loop turn rather than per message: everything queued
   * meanwhile goes out in one write (Vert.x makes one syscall per {@code write}).
   */
  private void scheduleFlush() {
    if (flushScheduled || current == null) {
      return;
    }
    flushScheduled = true;
    context.runOnContext(v -> {
      flushScheduled = false;
      flush();
    });
  }

  /** Writes queued frames, hello first, in batches of at most maxBatchBytes, until the socket pushes back. */
  private void flush() {
    Connection conn = current;
    if (conn == null) {
      return;
    }
    int maxBatch = options.getMaxBatchBytes();
    Framing framing = options.getFraming();
    int overhead = framing.overhead();
    while ((conn.helloPending || !queue.isEmpty()) && !conn.socket.writeQueueFull()) {
      Buffer batch = Buffer.buffer(Math.min(maxBatch, 4096));
      int framesInBatch = 0;
      if (conn.helloPending) {
        conn.helloPending = false;
        framing.appendChecked(helloPayload, batch);
        inFlight.written(new Outbound.Hello(helloPayload));
        framesInBatch++;
      }
      for (Outbound next = queue.peek();
           next != null && (batch.length() == 0 || batch.length() + next.payload().length() + overhead <= maxBatch);
           next = queue.peek()) {
        queue.poll();
        if (next.abandoned()) {
          continue; // its batch already failed: nobody is waiting for this frame's reply
        }
        framing.appendChecked(next.payload(), batch);
        inFlight.written(next);
        framesInBatch++;
      }
      conn.socket.write(batch).onFailure(e -> onSocketError(conn, e));
      writeCount++;
      stats.framesOut.add(framesInBatch);
      stats.bytesOut.add(batch.length());
    }
    // When the write queue is full, the drain handler calls flush() again.
    updateSnapshots();
  }

  // ---- receiving -----------------------------------------------------------------------------

  private void onData(Connection conn, Buffer chunk) {
    if (conn != current) {
      return; // a late read from a connection already given up
    }
    stats.bytesIn.add(chunk.length());
    try {
      conn.decoder.decode(chunk, conn.frameSink);
    } catch (FrameTooLargeException e) {
      log.warn("{}: server sent a {}; closing the connection", path, e.getMessage());
      conn.lossReason = "server sent a " + e.getMessage();
      conn.socket.close();
    } finally {
      // Counters and the monitoring snapshot once per read, not per frame.
      if (conn.framesInChunk > 0) {
        stats.framesIn.add(conn.framesInChunk);
        conn.framesInChunk = 0;
        inFlightSnapshot = inFlight.size();
      }
    }
  }

  private void onFrame(Connection conn, Buffer frame) {
    if (!conn.proven) {
      conn.proven = true;
      attempt = 0; // the outage is over: the next one starts counting afresh
    }
    conn.framesInChunk++;
    Outbound answered = inFlight.claim();
    if (answered == null) {
      inbound.publish(frame, ORIGIN_UNSOLICITED);
    } else {
      answered.complete(frame, inbound);
    }
  }

  // ---- connection lifecycle ------------------------------------------------------------------

  private void connect() {
    timerId = -1;
    if (stopped) {
      return;
    }
    nextRetryMs = -1;
    if (attempt > 0) {
      stats.reconnectAttempts.increment();
    }
    transition(ConnectionState.CONNECTING, attempt == 0 ? "connecting" : "reconnect attempt " + attempt);
    netClient.connect(SocketAddress.domainSocketAddress(path)).onComplete(ar -> {
      if (stopped) {
        if (ar.succeeded()) {
          ar.result().close();
        }
      } else if (ar.succeeded()) {
        onConnected(ar.result());
      } else {
        onConnectFailed(ar.cause());
      }
    });
  }

  private void onConnected(NetSocket socket) {
    // Fresh state for every connection: nothing from an earlier one (decoder bytes, a write
    // error, a half-built batch) can leak into this one.
    Connection conn = new Connection(socket, options.getFraming().decoder(options.getMaxFrame()), System.nanoTime());
    conn.frameSink = frame -> onFrame(conn, frame);
    conn.helloPending = helloPayload != null;
    current = conn;
    socket.handler(chunk -> onData(conn, chunk));
    socket.drainHandler(v -> {
      if (conn == current) {
        flush();
      }
    });
    socket.exceptionHandler(e -> onSocketError(conn, e));
    socket.closeHandler(v -> onClosed(conn));
    stats.connects.increment();
    transition(ConnectionState.CONNECTED, attempt == 0 ? "connected" : "connected on reconnect attempt " + attempt);
    flush();
  }

  private void onSocketError(Connection conn, Throwable e) {
    if (conn != current) {
      return;
    }
    log.debug("{}: socket error: {}", path, e.toString());
    if (conn.lossReason == null) {
      conn.lossReason = describe(e);
    }
    conn.socket.close(); // the close handler settles what was in flight
  }

  private void onClosed(Connection conn) {
    if (conn != current) {
      return;
    }
    current = null;
    long openMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - conn.connectedAtNanos);
    if (conn.proven || openMs >= PROVEN_AFTER_MS) {
      attempt = 0;
    }
    String reason = conn.lossReason != null ? conn.lossReason : "closed by server";
    settleInFlight(reason);
    scheduleReconnect("connection lost: " + reason);
  }

  /** Frames written on a lost connection: failed, or put back at the head of the queue. */
  private void settleInFlight(String reason) {
    List<Outbound> lost = inFlight.drain();
    List<Outbound> resend = new ArrayList<>();
    List<Outbound> failed = new ArrayList<>();
    for (Outbound o : lost) {
      if (!o.resendable()) {
        continue; // the hello: the next connection sends its own
      }
      (options.getInFlightOnLoss() == InFlightOnLoss.RESEND ? resend : failed).add(o);
    }
    queue.requeueFirst(resend);
    failures.failAll(failed, ClientFailure.CONNECTION_LOST, "connection lost; delivery unknown (" + reason + ")");
    queue.removeIf(Outbound::abandoned); // the rest of a batch that just failed: never written
    if (!resend.isEmpty()) {
      log.info("{}: {} unanswered message(s) will be sent again after reconnect", path, resend.size());
    }
    updateSnapshots();
  }

  private void onConnectFailed(Throwable cause) {
    String reason;
    if (serverNotUp(cause)) {
      reason = "server not up yet: " + describe(cause);
    } else {
      reason = "cannot connect: " + describe(cause);
      log.warn("{}: {}", path, reason);
    }
    scheduleReconnect(reason);
  }

  /** Counts a failed connect or a lost connection, then schedules the next attempt or gives up. */
  private void scheduleReconnect(String reason) {
    int limit = options.getReconnectAttempts();
    if (limit >= 0 && attempt >= limit) {
      giveUp(reason);
      return;
    }
    attempt++;
    nextRetryMs = backoff.delayMillis(attempt);
    transition(ConnectionState.DISCONNECTED, reason);
    if (timerId != -1) {
      // Cannot happen (connect clears it first); never let two timers race.
      vertx.cancelTimer(timerId);
    }
    timerId = vertx.setTimer(nextRetryMs, id -> connect());
  }

  private void giveUp(String reason) {
    nextRetryMs = -1;
    String gaveUpMessage = "no connection to " + path + " after " + attempt + " reconnect attempts (last: " + reason + ")";
    intake.close(ClientFailure.ATTEMPTS_EXHAUSTED, gaveUpMessage);
    transition(ConnectionState.DISCONNECTED, "gave up after " + attempt + " reconnect attempts; last: " + reason);
    failures.failAll(queue.drain(), ClientFailure.ATTEMPTS_EXHAUSTED, gaveUpMessage);
    updateSnapshots();
  }

  /** The one place the state changes: logged as {@code from -> to (reason)} and published. */
  private void transition(ConnectionState to, String reason) {
    ConnectionState from = state;
    state = to;
    if (to == ConnectionState.CONNECTING) {
      log.debug("{}: {} -> {} ({})", path, from, to, reason);
    } else if (to == ConnectionState.DISCONNECTED && nextRetryMs >= 0) {
      log.info("{}: {} -> {} ({}); attempt {} in {} ms", path, from, to, reason, attempt, nextRetryMs);
    } else {
      log.info("{}: {} -> {} ({})", path, from, to, reason);
    }
    vertx.eventBus().publish(options.getStatusAddress(), new JsonObject()
        .put("state", to.name())
        .put("path", path)
        .put("attempt", attempt)
        .put("nextRetryMs", nextRetryMs)
        .put("reason", reason));
  }

  // ---- stop ----------------------------------------------------------------------------------

  @Override
  public Future<?> stop() {
    meters.forEach(m -> meterRegistry.remove(m));
    if (consumer == null) {
      return Future.succeededFuture(); // start never got as far as taking messages
    }
    stopped = true;
    intake.close(ClientFailure.STOPPED, "client stopped");
    if (timerId != -1) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    Connection conn = current;
    current = null;
    failures.failAll(inFlight.drain(), ClientFailure.STOPPED, "client stopped");
    failures.failAll(queue.drain(), ClientFailure.STOPPED, "client stopped");
    updateSnapshots();
    nextRetryMs = -1;
    transition(ConnectionState.STOPPED, "client stopped");
    Future<Void> socketClosed = conn == null ? Future.succeededFuture() : conn.socket.close().otherwiseEmpty();
    return Future.join(consumer.unregister(), socketClosed, netClient.close()).mapEmpty();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private void updateSnapshots() {
    queuedSnapshot = queue.size();
    inFlightSnapshot = inFlight.size();
  }

  /**
   * A missing socket file or a refused connection: the server is not (yet, or no longer)
   * listening. Epoll reports {@link FileNotFoundException} and Netty's
   * {@code AnnotatedConnectException}; NIO a {@link SocketException} "No such file or directory"
   * and a {@link ConnectException}.
   */
  static boolean serverNotUp(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof FileNotFoundException || t instanceof ConnectException) {
        return true;
      }
      if (t instanceof Errors.NativeIoException) {
        int err = ((Errors.NativeIoException) t).expectedErr();
        if (err == ENOENT_NEGATIVE || err == ECONNREFUSED_NEGATIVE) {
          return true;
        }
      }
      if (t instanceof SocketException && String.valueOf(t.getMessage()).contains("No such file or directory")) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable t) {
    if (t instanceof FileNotFoundException) {
      return "no socket file"; // epoll's FileNotFoundException carries no message
    }
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }

  /** Counters: frames and bytes each way, connects, reconnect attempts, failures by code. */
  public ClientStats stats() {
    return stats;
  }

  /** Messages waiting to be written: a snapshot for monitoring, readable from any thread. */
  public int queuedCount() {
    return queuedSnapshot;
  }

  /** Messages written and not yet answered: a snapshot for monitoring, readable from any thread. */
  public int inFlightCount() {
    return inFlightSnapshot;
  }

  /** Socket writes made so far (each carrying one batch of frames). */
  long writeCount() {
    return writeCount;
  }

  /** The verticle's context, for tests that must act within one of its event-loop turns. */
  io.vertx.core.Context contextForTest() {
    return context;
  }

  /** A copy of the options in force (after deployment, including those read from config). */
  public ClientOptions options() {
    return new ClientOptions(options);
  }

  /** Per-connection state: created on connect, dropped with the connection, never reused. */
  private static final class Connection {
    final NetSocket socket;
    final FrameDecoder decoder;
    final long connectedAtNanos;
    boolean helloPending;
    boolean proven;
    String lossReason;
    /** Hands decoded frames to onFrame: one lambda per connection rather than per read. */
    java.util.function.Consumer<Buffer> frameSink;
    /** Frames decoded from the read being handled: counted once per read. */
    int framesInChunk;

    Connection(NetSocket socket, FrameDecoder decoder, long connectedAtNanos) {
      this.socket = socket;
      this.decoder = decoder;
      this.connectedAtNanos = connectedAtNanos;
    }
  }
}
