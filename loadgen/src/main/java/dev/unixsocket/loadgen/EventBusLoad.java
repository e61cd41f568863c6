package dev.unixsocket.loadgen;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The end-to-end figure: event bus → client verticle → Unix socket → server → reply. A sender
 * verticle keeps {@code inFlight} messages outstanding on the client's send address and checks
 * every reply, in order, against prefix + the payload it sent (payloads differ per message).
 *
 * <ul>
 *   <li>{@link How#request}: one event-bus {@code request} per message; the reply is the server's
 *   reply frame.</li>
 *   <li>{@link How#send}: one event-bus {@code send} per message; the client publishes each reply
 *   frame on its inbound address, where the sender consumes it (header {@code origin: send}).</li>
 *   <li>{@link How#batch}: one event-bus {@code request} per {@code batch} messages, a JsonArray
 *   of payloads; the reply is a JsonArray of the reply frames.</li>
 * </ul>
 * Messages are counted in socket frames: one message is one frame each way, whatever carried it
 * on the event bus. With {@code externalServer} the server is
 * the one already listening on the path (another process: the two-process figure); otherwise a
 * server verticle with the echo handler runs in this JVM.
 */
final class EventBusLoad {

  /** How the sender hands messages to the client verticle. */
  enum How {
    /** {@code EventBus.request} per message: the reply comes back as the request's reply. */
    request,
    /** {@code EventBus.send} per message: replies are published on the client's inbound address. */
    send,
    /** {@code EventBus.request} with a JsonArray of {@code batch} payloads: one frame per element. */
    batch
  }

  /** What to run. {@code eventLoops} null means Vert.x's default (twice the CPUs). */
  record Settings(String path, How how, int inFlight, int size, double warmupSeconds, double durationSeconds,
                  Integer eventLoops, boolean externalServer, Framing framing, String expectPrefix, int batch) {
  }

  private static final long DRAIN_TIMEOUT_MS = 5_000;

  private EventBusLoad() {
  }

  static JsonObject run(Settings s, PrintWriter err) throws Exception {
    if (s.externalServer() && !Files.exists(Path.of(s.path()))) {
      throw new BenchCommand.BenchFailure("cannot connect to " + s.path() + ": no such socket file (is the server running?)");
    }
    VertxOptions vertxOptions = new VertxOptions();
    if (s.eventLoops() != null) {
      vertxOptions.setEventLoopPoolSize(s.eventLoops());
    }
    Vertx vertx = Vertx.builder().with(vertxOptions).withTransport(TransportChoice.AUTO.resolve()).build();
    try {
      if (!s.externalServer()) {
        vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(s.path()).setFraming(s.framing())
            .setEchoPrefix(s.expectPrefix()))).await(30, TimeUnit.SECONDS);
      }
      ClientOptions clientOptions = new ClientOptions().setPath(s.path()).setFraming(s.framing())
          .setQueueCapacity(Math.max(ClientOptions.DEFAULT_QUEUE_CAPACITY, s.inFlight() * 2))
          .setReconnectAttempts(s.externalServer() ? 20 : -1);
      vertx.deployVerticle(new ClientVerticle(clientOptions)).await(30, TimeUnit.SECONDS);
      // Connected once one request has made the round trip (fails after the attempts run out).
      try {
        vertx.eventBus().request(clientOptions.getSendAddress(), "warm", new DeliveryOptions().setSendTimeout(30_000))
            .await(35, TimeUnit.SECONDS);
      } catch (ReplyException e) {
        throw new BenchCommand.BenchFailure("cannot connect to " + s.path() + ": " + e.getMessage());
      }
      return measure(s, vertx, clientOptions, s.externalServer() ? "external" : "in-jvm", vertxOptions.getEventLoopPoolSize(), err);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Measures through a client verticle that is already deployed and connected, on this Vert.x
   * or (clustered) on another node: {@code server} labels where the server runs.
   */
  static JsonObject measure(Settings s, Vertx vertx, ClientOptions clientOptions, String server, int eventLoops, PrintWriter err)
      throws Exception {
    Sender sender = new Sender(s, clientOptions);
    vertx.deployVerticle(sender).await(30, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    long warmupEnd = t0 + (long) (s.warmupSeconds() * 1e9);
    progressUntil(sender, t0, warmupEnd, true, err);
    sender.reset();
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    progressUntil(sender, t0, start + (long) (s.durationSeconds() * 1e9), false, err);
    long replies = sender.replies.get();
    long errors = sender.errors.get();
    long cpu = processCpuNanos() - cpuStart;
    double seconds = (System.nanoTime() - start) / 1e9;
    Histogram h = sender.snapshot();
    long unanswered = sender.finish().await(DRAIN_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
    String firstError = sender.firstError.get();
    if (unanswered > 0) {
      errors += unanswered;
      if (firstError == null) {
        firstError = unanswered + " messages got no reply within " + DRAIN_TIMEOUT_MS + " ms after the run";
      }
    }
    JsonObject r = new JsonObject()
        .put("mode", "event-bus")
        .put("eventBus", s.how().name())
        .put("server", server)
        .put("eventLoops", eventLoops)
        .put("path", s.path())
        .put("framing", s.framing().label())
        .put("connections", 1)
        .put("pipeline", s.inFlight())
        .put("framesPerEventBusMessage", s.how() == How.batch ? s.batch() : 1)
        .put("size", s.size())
        .put("warmupSeconds", s.warmupSeconds())
        .put("messages", replies)
        .put("seconds", Math.round(seconds * 1000) / 1000.0)
        .put("messagesPerSecond", Math.round(replies / seconds))
        .put("mbPerSecond", Math.round(replies * (double) s.size() / seconds / 1e4) / 100.0)
        .put("maxUs", h.getTotalCount() == 0 ? 0.0 : h.getMaxValue() / 1000.0)
        .put("p50Us", h.getValueAtPercentile(50) / 1000.0)
        .put("p99Us", h.getValueAtPercentile(99) / 1000.0)
        .put("p999Us", h.getValueAtPercentile(99.9) / 1000.0)
        .put("errors", errors);
    if (cpuStart >= 0 && replies > 0) {
      // CPU of this whole JVM (all threads, JIT and GC included) per verified reply: steadier than
      // msg/s on a machine shared with other work.
      r.put("cpuUsPerMessage", Math.round(cpu / (double) replies) / 1000.0);
    }
    if (firstError != null) {
      r.put("firstError", firstError);
    }
    return r;
  }

  /** CPU time of this process so far, or -1 where the JVM does not tell. */
  private static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** Sleeps until {@code end}, printing replies per second on stderr once a second. */
  private static void progressUntil(Sender sender, long t0, long end, boolean warmup, PrintWriter err)
      throws InterruptedException {
    long lastAt = System.nanoTime();
    long lastReplies = sender.replies.get();
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        return;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(end - now, TimeUnit.SECONDS.toNanos(1)));
      now = System.nanoTime();
      long replies = sender.replies.get();
      if (replies < lastReplies) {
        lastReplies = 0; // reset between warm-up and measuring
      }
      double rate = (replies - lastReplies) / ((now - lastAt) / 1e9);
      err.printf(Locale.ROOT, "bench: %4.0fs %-8s %,12.0f msg/s  errors %d%n", (now - t0) / 1e9,
          warmup ? "warm-up" : "", rate, sender.errors.get());
      err.flush();
      lastAt = now;
      lastReplies = replies;
    }
  }

  /**
   * Keeps a window of messages outstanding from its own event loop. The payload of message n is
   * its number in hex (as many low digits as fit), then 'x' up to the size; a reply must be the
   * prefix followed by exactly that payload, so lost, duplicated or reordered replies are errors.
   */
  private static final class Sender extends VerticleBase {
    final AtomicLong replies = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();
    private final How how;
    private final int window;
    /** Frames per event-bus message: 1, or the batch size. */
    private final int perMessage;
    private final int size;
    private final byte[] template;
    private final byte[] prefix;
    private final String sendAddress;
    private final String inboundAddress;
    /** Send times of the messages in flight, by sequence number modulo the ring's size. */
    private final long[] sentAt;
    private final int ringMask;
    private Histogram histogram = new Histogram(3_600_000_000L, 3);
    private EventBus bus;
    /** Batch elements as Strings: across a cluster a Buffer element would arrive as base64 text. */
    private boolean textBatches;
    private long nextSeq;
    /** Send mode: the sequence number the next inbound reply must carry. */
    private long expectSeq;
    private long outstanding;
    private volatile boolean stopping;
    private Promise<Long> drained;

    Sender(Settings s, ClientOptions client) {
      this.how = s.how();
      this.perMessage = s.how() == How.batch ? s.batch() : 1;
      // In flight counts frames: with batches, that many frames' worth of batches (at least one).
      this.window = Math.max(1, s.inFlight() / perMessage);
      this.size = s.size();
      this.template = new byte[s.size()];
      java.util.Arrays.fill(template, (byte) 'x');
      this.prefix = s.expectPrefix().getBytes(StandardCharsets.UTF_8);
      this.sendAddress = client.getSendAddress();
      this.inboundAddress = client.getInboundAddress();
      int ring = Integer.highestOneBit(Math.max(1, window * perMessage) * 2 - 1) << 1;
      this.sentAt = new long[ring];
      this.ringMask = ring - 1;
    }

    @Override
    public Future<?> start() {
      bus = vertx.eventBus();
      textBatches = vertx.isClustered();
      Future<Void> ready = Future.succeededFuture();
      if (how == How.send) {
        ready = bus.<Buffer>consumer(inboundAddress, this::onInbound).completion();
      }
      return ready.onSuccess(v -> {
        for (int i = 0; i < window; i++) {
          sendOne();
        }
      });
    }

    private Buffer payload(long seq) {
      byte[] b = template.clone();
      for (int i = Math.min(16, size) - 1, shift = 0; i >= 0; i--, shift += 4) {
        b[i] = (byte) Character.forDigit((int) ((seq >>> shift) & 0xf), 16);
      }
      return Buffer.buffer(b);
    }

    /** Null when {@code reply} is prefix + payload(seq); else what is wrong with it. */
    private String check(Buffer reply, long seq) {
      if (reply.length() != prefix.length + size) {
        return "reply to message " + seq + " is " + reply.length() + " bytes, expected " + (prefix.length + size);
      }
      for (int i = 0; i < prefix.length; i++) {
        if (reply.getByte(i) != prefix[i]) {
          return "reply to message " + seq + " does not start with the expected prefix";
        }
      }
      Buffer expected = payload(seq);
      for (int i = 0; i < size; i++) {
        if (reply.getByte(prefix.length + i) != expected.getByte(i)) {
          return "reply to message " + seq + " differs from its payload at byte " + i + " (out of order or corrupted)";
        }
      }
      return null;
    }

    private void sendOne() {
      if (stopping) {
        return;
      }
      if (how == How.batch) {
        sendBatch();
        return;
      }
      long seq = nextSeq++;
      outstanding++;
      sentAt[(int) (seq & ringMask)] = System.nanoTime();
      Buffer payload = payload(seq);
      if (how == How.send) {
        bus.send(sendAddress, payload);
        return;
      }
      bus.<Buffer>request(sendAddress, payload).onComplete(ar -> {
        if (ar.succeeded()) {
          answered(seq, ar.result().body());
        } else {
          error("request " + seq + " failed: " + ar.cause().getMessage());
          settled();
        }
      });
    }

    private void sendBatch() {
      long first = nextSeq;
      nextSeq += perMessage;
      outstanding++;
      long t0 = System.nanoTime();
      java.util.List<Object> payloads = new java.util.ArrayList<>(perMessage);
      for (int i = 0; i < perMessage; i++) {
        Buffer payload = payload(first + i);
        payloads.add(textBatches ? payload.toString(StandardCharsets.US_ASCII) : payload);
      }
      bus.<io.vertx.core.json.JsonArray>request(sendAddress, new io.vertx.core.json.JsonArray(payloads)).onComplete(ar -> {
        if (ar.failed()) {
          error("batch from message " + first + " failed: " + ar.cause().getMessage());
        } else {
          io.vertx.core.json.JsonArray body = ar.result().body();
          String wrong = body.size() == perMessage ? null
              : "reply to the batch from message " + first + " has " + body.size() + " elements, expected " + perMessage;
          for (int i = 0; i < perMessage && wrong == null; i++) {
            wrong = check(body.getBuffer(i), first + i);
          }
          if (wrong == null) {
            replies.addAndGet(perMessage);
            synchronized (this) {
              histogram.recordValueWithCount(Math.min(Math.max(System.nanoTime() - t0, 0), 3_600_000_000L), perMessage);
            }
          } else {
            error(wrong);
          }
        }
        settled();
      });
    }

    private void onInbound(Message<Buffer> m) {
      if (!ClientVerticle.ORIGIN_SEND.equals(m.headers().get(ClientVerticle.ORIGIN_HEADER))) {
        error("inbound frame with origin " + m.headers().get(ClientVerticle.ORIGIN_HEADER) + ", expected send");
        return;
      }
      answered(expectSeq++, m.body());
    }

    private void answered(long seq, Buffer reply) {
      String wrong = check(reply, seq);
      if (wrong == null) {
        replies.incrementAndGet();
        long latency = System.nanoTime() - sentAt[(int) (seq & ringMask)];
        synchronized (this) {
          histogram.recordValue(Math.min(Math.max(latency, 0), 3_600_000_000L));
        }
      } else {
        error(wrong);
      }
      settled();
    }

    private void error(String what) {
      errors.incrementAndGet();
      firstError.compareAndSet(null, what);
    }

    private void settled() {
      outstanding--;
      if (stopping) {
        if (outstanding == 0 && drained != null) {
          drained.tryComplete(0L);
        }
        return;
      }
      sendOne();
    }

    /** Stops sending and waits (bounded) for the replies still outstanding; the count left unanswered. */
    Future<Long> finish() {
      Promise<Long> p = Promise.promise();
      context.runOnContext(v -> {
        stopping = true;
        drained = p;
        if (outstanding == 0) {
          p.tryComplete(0L);
        } else {
          vertx.setTimer(DRAIN_TIMEOUT_MS, id -> p.tryComplete(outstanding));
        }
      });
      return p.future();
    }

    synchronized void reset() {
      replies.set(0);
      errors.set(0);
      histogram = new Histogram(3_600_000_000L, 3);
    }

    synchronized Histogram snapshot() {
      return histogram.copy();
    }
  }
}
