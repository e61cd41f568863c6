package dev.unixsocket.launcher.bench;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.wire.TransportChoice;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The end-to-end figure: event bus → client verticle → Unix socket → server verticle → reply,
 * both verticles in this JVM. A sender verticle keeps {@code inFlight} requests outstanding on
 * the client's send address and counts verified replies.
 */
final class EventBusLoad {

  private EventBusLoad() {
  }

  static JsonObject run(String path, int inFlight, int size, double warmupSeconds, double durationSeconds) throws Exception {
    Vertx vertx = Vertx.builder().withTransport(TransportChoice.AUTO.resolve()).build();
    try {
      vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path))).await(30, TimeUnit.SECONDS);
      ClientOptions clientOptions = new ClientOptions().setPath(path).setQueueCapacity(Math.max(10_000, inFlight * 2));
      vertx.deployVerticle(new ClientVerticle(clientOptions)).await(30, TimeUnit.SECONDS);
      // Wait until connected: one request round trip.
      vertx.eventBus().request(clientOptions.getSendAddress(), "warm", new DeliveryOptions().setSendTimeout(30_000))
          .await(30, TimeUnit.SECONDS);

      Sender sender = new Sender(clientOptions.getSendAddress(), inFlight, size);
      vertx.deployVerticle(sender, new DeploymentOptions()).await(30, TimeUnit.SECONDS);
      Thread.sleep((long) (warmupSeconds * 1000));
      sender.reset();
      long start = System.nanoTime();
      Thread.sleep((long) (durationSeconds * 1000));
      long replies = sender.replies.get();
      long errors = sender.errors.get();
      double seconds = (System.nanoTime() - start) / 1e9;
      Histogram h = sender.snapshot();
      sender.stop.complete(null);
      return new JsonObject()
          .put("mode", "event-bus")
          .put("path", path)
          .put("connections", 1)
          .put("pipeline", inFlight)
          .put("size", size)
          .put("messages", replies)
          .put("seconds", Math.round(seconds * 1000) / 1000.0)
          .put("messagesPerSecond", Math.round(replies / seconds))
          .put("mbPerSecond", Math.round(replies * (double) size / seconds / 1e4) / 100.0)
          .put("maxUs", h.getMaxValue() / 1000.0)
          .put("p50Us", h.getValueAtPercentile(50) / 1000.0)
          .put("p99Us", h.getValueAtPercentile(99) / 1000.0)
          .put("p999Us", h.getValueAtPercentile(99.9) / 1000.0)
          .put("errors", errors);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Keeps a window of requests outstanding from its own event loop. */
  private static final class Sender extends io.vertx.core.VerticleBase {
    final AtomicLong replies = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final CompletableFuture<Void> stop = new CompletableFuture<>();
    private final String address;
    private final int window;
    private final Buffer payload;
    private final Buffer expected;
    private Histogram histogram = new Histogram(3_600_000_000L, 3);
    private EventBus bus;

    Sender(String address, int window, int size) {
      this.address = address;
      this.window = window;
      byte[] bytes = new byte[size];
      java.util.Arrays.fill(bytes, (byte) 'x');
      this.payload = Buffer.buffer(bytes);
      this.expected = Buffer.buffer("echo:").appendBuffer(payload);
    }

    @Override
    public io.vertx.core.Future<?> start() {
      bus = vertx.eventBus();
      for (int i = 0; i < window; i++) {
        sendOne();
      }
      return io.vertx.core.Future.succeededFuture();
    }

    private void sendOne() {
      if (stop.isDone()) {
        return;
      }
      long t0 = System.nanoTime();
      bus.<Buffer>request(address, payload).onComplete(ar -> {
        if (ar.succeeded() && ar.result().body().equals(expected)) {
          replies.incrementAndGet();
          synchronized (this) {
            histogram.recordValue(Math.min(System.nanoTime() - t0, 3_600_000_000L));
          }
        } else {
          errors.incrementAndGet();
        }
        sendOne();
      });
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
