package dev.unixsocket.client;

import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.Control;
import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.Framing;
import io.netty.channel.unix.Errors;
import io.vertx.core.Future;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.eventbus.DeliveryOptions;
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
  private boolean gaveUp;
  private String gaveUpMessage;
  private boolean stopped;
  /** Inbound publications' options, one per origin, built once: the header map is only read when sending. */
  private final java.util.Map<String, DeliveryOptions> inboundOptions = new java.util.HashMap<>();
  /** Reply options: shared, never changed (Message.reply(Object) would allocate one per reply). */
  private static final DeliveryOptions REPLY_OPTIONS = new DeliveryOptions();
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
    netClient = vertx.createNetClient(new NetClientOptions());
    consumer = vertx.eventBus().consumer(options.getSendAddress(), this::onMessage);
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

  private void onMessage(Message<Object> message) {
    if (stopped) {
      fail(message, ClientFailure.STOPPED, "client stopped");
      return;
    }
    if (gaveUp) {
      fail(message, ClientFailure.ATTEMPTS_EXHAUSTED, gaveUpMessage);
      return;
    }
    if (message.body() instanceof JsonArray) {
      onBatch(message, (JsonArray) message.body());
      return;
    }
    Buffer payload = payloadOf(message.body());
    if (payload == null) {
      String type = message.body() == null ? "null" : message.body().getClass().getName();
      fail(message, ClientFailure.BAD_BODY, "bad body: " + type + " is not supported; send a Buffer, String or JsonObject");
      return;
    }
    if (payload.length() > options.getMaxFrame()) {
      fail(message, ClientFailure.FRAME_TOO_LARGE,
          "frame too large: " + payload.length() + " bytes exceeds max-frame " + options.getMaxFrame());
      return;
    }
    try {
      options.getFraming().check(payload); // framed later, straight into the socket write
    } catch (IllegalArgumentException e) {
      fail(message, ClientFailure.BAD_BODY, "bad body: " + e.getMessage());
      return;
    }
    if (!queue.offer(Outbound.of(payload, message))) {
      fail(message, ClientFailure.QUEUE_FULL, "queue full (capacity " + queue.capacity() + ")");
      return;
    }
    if (current == null) {
      queuedSnapshot = queue.size(); // while connected, flush() updates it once per batch
    }
    scheduleFlush();
  }

  /**
   * A batch: one frame per element, admitted whole or refused whole (bad element, oversize
   * element, or not enough room in the queue for all of them); answered with a JsonArray of the
   * replies in element order once every frame has its reply, or failed once.
   */
  private void onBatch(Message<Object> message, JsonArray elements) {
    // The raw elements: JsonArray.getValue and its iterator would turn a Buffer into base64 text.
    List<?> raw = elements.getList();
    int n = raw.size();
    Buffer[] payloads = new Buffer[n];
    for (int i = 0; i < n; i++) {
      Object element = raw.get(i);
      Buffer payload = payloadOf(element);
      if (payload == null) {
        String type = element == null ? "null" : element.getClass().getName();
        fail(message, ClientFailure.BAD_BODY, "bad body: batch element " + i + " is a " + type
            + "; batch elements must be Buffer, String or JsonObject", n);
        return;
      }
      if (payload.length() > options.getMaxFrame()) {
        fail(message, ClientFailure.FRAME_TOO_LARGE, "frame too large: batch element " + i + " is "
            + payload.length() + " bytes, exceeds max-frame " + options.getMaxFrame(), n);
        return;
      }
      try {
        options.getFraming().check(payload);
      } catch (IllegalArgumentException e) {
        fail(message, ClientFailure.BAD_BODY, "bad body: batch element " + i + ": " + e.getMessage(), n);
        return;
      }
      payloads[i] = payload;
    }
    if (n == 0) {
      if (message.replyAddress() != null) {
        message.reply(new JsonArray(), REPLY_OPTIONS);
      }
      return;
    }
    if (queue.remaining() < n) {
      fail(message, ClientFailure.QUEUE_FULL, "queue full (capacity " + queue.capacity() + "): no room for a batch of "
          + n + " frames", n);
      return;
    }
    Batch batch = new Batch(message.replyAddress() != null ? message : null, n);
    for (int i = 0; i < n; i++) {
      queue.offer(Outbound.batchPart(payloads[i], batch, i));
    }
    if (current == null) {
      queuedSnapshot = queue.size();
    }
    scheduleFlush();
  }

  private static Buffer payloadOf(Object body) {
    if (body instanceof Buffer) {
      return (Buffer) body;
    }
    if (body instanceof String) {
      return Buffer.buffer(((String) body).getBytes(StandardCharsets.UTF_8));
    }
    if (body instanceof JsonObject) {
      return ((JsonObject) body).toBuffer();
    }
    return null;
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
        inFlight.written(Outbound.hello(helloPayload));
        framesInBatch++;
      }
      for (Outbound next = queue.peek();
           next != null && (batch.length() == 0 || batch.length() + next.payload.length() + overhead <= maxBatch);
           next = queue.peek()) {
        queue.poll();
        if (next.abandoned()) {
          continue; // its batch already failed: nobody is waiting for this frame's reply
        }
        framing.appendChecked(next.payload, batch);
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
      conn.reader.read(chunk);
    } catch (BadFrameException e) {
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

  /**
   * Reads one connection's frames. Each payload is copied out of the read: a reply may wait in a
   * batch across later reads, and a clustered event bus may encode it after this call returns.
   */
  private FrameReader frameReader(Connection conn) {
    return new FrameReader(options.getFraming(), options.getMaxFrame(),
        (data, index, length) -> onFrame(conn, BufferInternal.buffer(data.copy(index, length))),
        (code, data, index, length) -> onControl(code));
  }

  /** This client does not say HELLO yet, so a server has no reason to send it a control frame. */
  private void onControl(Control code) {
    log.warn("{}: server sent control frame {}, which this client does not use; ignored", path, code);
  }

  private void onFrame(Connection conn, Buffer frame) {
    if (!conn.proven) {
      conn.proven = true;
      attempt = 0; // the outage is over: the next one starts counting afresh
    }
    conn.framesInChunk++;
    Outbound answered = inFlight.claim();
    if (answered == null) {
      publishInbound(frame, ORIGIN_UNSOLICITED);
    } else if (answered.kind == Outbound.Kind.REQUEST) {
      answered.requester.reply(frame, REPLY_OPTIONS);
    } else if (answered.kind == Outbound.Kind.BATCH) {
      Batch b = answered.batch;
      if (b.answer(answered.index, frame)) {
        // Each reply is a copy of its own (frameReader), and the event bus copies again on delivery.
        JsonArray replies = new JsonArray(java.util.Arrays.asList((Object[]) b.replies));
        if (b.requester != null) {
          b.requester.reply(replies, REPLY_OPTIONS);
        } else {
          vertx.eventBus().publish(options.getInboundAddress(), replies, inboundOptions(ORIGIN_SEND));
        }
      }
    } else {
      publishInbound(frame, answered.kind == Outbound.Kind.HELLO ? ORIGIN_HELLO : ORIGIN_SEND);
    }
  }

  private void publishInbound(Buffer frame, String origin) {
    vertx.eventBus().publish(options.getInboundAddress(), frame, inboundOptions(origin));
  }

  private DeliveryOptions inboundOptions(String origin) {
    return inboundOptions.computeIfAbsent(origin, k -> new DeliveryOptions().addHeader(ORIGIN_HEADER, k));
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
    Connection conn = new Connection(socket, System.nanoTime());
    conn.reader = frameReader(conn);
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
      if (o.kind == Outbound.Kind.HELLO) {
        continue; // belongs to its connection: the next connection sends its own
      }
      (options.getInFlightOnLoss() == InFlightOnLoss.RESEND ? resend : failed).add(o);
    }
    queue.requeueFirst(resend);
    failAll(failed, ClientFailure.CONNECTION_LOST, "connection lost; delivery unknown (" + reason + ")");
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
    gaveUp = true;
    nextRetryMs = -1;
    gaveUpMessage = "no connection to " + path + " after " + attempt + " reconnect attempts (last: " + reason + ")";
    transition(ConnectionState.DISCONNECTED, "gave up after " + attempt + " reconnect attempts; last: " + reason);
    failAll(queue.drain(), ClientFailure.ATTEMPTS_EXHAUSTED, gaveUpMessage);
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
    if (timerId != -1) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    Connection conn = current;
    current = null;
    failAll(inFlight.drain(), ClientFailure.STOPPED, "client stopped");
    failAll(queue.drain(), ClientFailure.STOPPED, "client stopped");
    updateSnapshots();
    nextRetryMs = -1;
    transition(ConnectionState.STOPPED, "client stopped");
    Future<Void> socketClosed = conn == null ? Future.succeededFuture() : conn.socket.close().otherwiseEmpty();
    return Future.join(consumer.unregister(), socketClosed, netClient.close()).mapEmpty();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private void failAll(List<Outbound> items, int code, String message) {
    int unreplyable = 0;
    int frames = 0;
    for (Outbound o : items) {
      if (o.kind == Outbound.Kind.REQUEST) {
        frames++;
        o.requester.fail(code, message);
      } else if (o.kind == Outbound.Kind.SEND) {
        frames++;
        unreplyable++;
      } else if (o.kind == Outbound.Kind.BATCH && !o.batch.settled) {
        // A batch fails once, with its first failure; it counts as all its frames.
        o.batch.settled = true;
        frames += o.batch.size();
        if (o.batch.requester != null) {
          o.batch.requester.fail(code, message);
        } else {
          unreplyable++;
        }
      }
    }
    stats.failed(code, frames);
    if (unreplyable > 0) {
      log.warn("{}: {} message(s) sent without a reply address failed ({}): {}", path, unreplyable,
          ClientFailure.name(code), message);
    }
  }

  private void fail(Message<Object> message, int code, String text) {
    fail(message, code, text, 1);
  }

  /** Fails a message refused at the door; {@code frames} is how many frames it would have been. */
  private void fail(Message<Object> message, int code, String text, int frames) {
    stats.failed(code, frames);
    if (message.replyAddress() != null) {
      message.fail(code, text);
    } else {
      log.warn("{}: a message sent without a reply address failed ({}): {}", path, ClientFailure.name(code), text);
    }
  }

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
    FrameReader reader;
    final long connectedAtNanos;
    boolean helloPending;
    boolean proven;
    String lossReason;
    /** Frames decoded from the read being handled: counted once per read. */
    int framesInChunk;

    Connection(NetSocket socket, long connectedAtNanos) {
      this.socket = socket;
      this.connectedAtNanos = connectedAtNanos;
    }
  }
}
