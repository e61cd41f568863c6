package dev.unixsocket.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x's own ceiling for the server's handler path, with no socket: a sender verticle keeps
 * {@code --in-flight} requests outstanding to a consumer verticle that replies with the body it
 * got, a {@code Buffer} per frame or, with {@code --batch N}, a {@code JsonArray} of N. With
 * {@code --event-loops 1} sender and consumer share one event loop, as the connections and a
 * {@code --deploy}ed handler of {@code uds server} do by default; with 2 the consumer is on
 * another thread. What the event-bus handler of {@code uds server} adds to this is ours.
 *
 * <pre>
 * java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.EventBusCeiling --in-flight 128 --json
 * java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.EventBusCeiling --batch 64 --in-flight 1024 --json
 * </pre>
 */
@Command(name = "event-bus-ceiling", mixinStandardHelpOptions = true,
    description = "Local event-bus request/reply rate with a reply-the-body consumer and no socket.")
public final class EventBusCeiling implements Callable<Integer> {

  private static final String ADDRESS = "ceiling.inbound";

  @Option(names = "--batch", paramLabel = "N", description = "Frames per request, as a JsonArray of Buffers; 1 = a Buffer per request (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--in-flight", paramLabel = "K", description = "Frames outstanding at once (default: ${DEFAULT-VALUE}).")
  int inFlight = 128;

  @Option(names = "--event-loops", paramLabel = "N",
      description = "Vert.x event loops: 1 = sender and consumer on one thread, as uds server runs a --deploy'ed handler;"
          + " 2 = each on its own (default: ${DEFAULT-VALUE}).")
  int eventLoops = 1;

  @Option(names = "--size", paramLabel = "BYTES", description = "Payload bytes per frame (default: ${DEFAULT-VALUE}).")
  int size = 64;

  @Option(names = "--duration", paramLabel = "SECONDS", description = "Measured time (default: ${DEFAULT-VALUE}).")
  double duration = 5;

  @Option(names = "--warmup", paramLabel = "SECONDS", description = "Unmeasured time first (default: ${DEFAULT-VALUE}).")
  double warmup = 4;

  @Option(names = "--json", description = "One JSON object on stdout instead of a line of text.")
  boolean json;

  public static void main(String[] args) {
    System.exit(new CommandLine(new EventBusCeiling()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || inFlight < batch || size < 0 || duration <= 0 || warmup < 0 || eventLoops < 1) {
      System.err.println("event-bus-ceiling: need --batch >= 1, --in-flight >= --batch, --size >= 0, --duration > 0, --event-loops >= 1");
      return 2;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    try {
      vertx.deployVerticle(new ReplyBody(ADDRESS)).await(10, TimeUnit.SECONDS);
      Sender sender = new Sender(batch, inFlight / batch, size);
      vertx.deployVerticle(sender).await(10, TimeUnit.SECONDS);
      Thread.sleep((long) (warmup * 1000));
      long frames0 = sender.frames;
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long[] loops = HandlerPathCost.eventLoopThreads();
      long alloc0 = HandlerPathCost.sum(threads.getThreadAllocatedBytes(loops));
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      Thread.sleep((long) (duration * 1000));
      long frames = sender.frames - frames0;
      long cpu = processCpuNanos() - cpu0;
      long alloc = HandlerPathCost.sum(threads.getThreadAllocatedBytes(loops)) - alloc0;
      double seconds = (System.nanoTime() - t0) / 1e9;
      sender.stop = true;
      double framesPerSecond = frames / seconds;
      JsonObject result = new JsonObject()
          .put("batch", batch).put("inFlight", inFlight).put("eventLoops", eventLoops).put("size", size)
          .put("framesPerSecond", Math.round(framesPerSecond))
          .put("requestsPerSecond", Math.round(framesPerSecond / batch))
          .put("cpuUsPerFrame", Math.round(cpu / 1e3 / Math.max(1, frames) * 100) / 100.0)
          .put("allocatedBytesPerFrame", Math.round((double) alloc / Math.max(1, frames)))
          .put("errors", sender.errors);
      if (json) {
        System.out.println(result.encode());
      } else {
        System.out.printf("%,.0f frames/s (%,.0f requests/s of %d), %.2f us CPU and %d B allocated per frame, %d errors%n",
            framesPerSecond, framesPerSecond / batch, batch, result.getDouble("cpuUsPerFrame"),
            result.getLong("allocatedBytesPerFrame"), sender.errors);
      }
      return sender.errors == 0 ? 0 : 1;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The consumer: replies with the body it got, as ReplyBodyHandler in the examples does. */
  static final class ReplyBody extends VerticleBase {
    private final String address;
    private final DeliveryOptions replyOptions;

    ReplyBody(String address) {
      this(address, new DeliveryOptions());
    }

    /** With {@code replyOptions} for every reply (e.g. a codec that skips Vert.x's copy). */
    ReplyBody(String address, DeliveryOptions replyOptions) {
      this.address = address;
      this.replyOptions = replyOptions;
    }

    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer(address, m -> m.reply(m.body(), replyOptions)).completion();
    }
  }

  /** Keeps {@code outstanding} requests in flight, each re-sent as soon as it is answered. */
  static final class Sender extends VerticleBase {
    private final int batch;
    private final int outstanding;
    private final Buffer payload;
    private final DeliveryOptions delivery = new DeliveryOptions();
    volatile long frames;
    volatile long errors;
    volatile boolean stop;

    Sender(int batch, int outstanding, int size) {
      this.batch = batch;
      this.outstanding = outstanding;
      this.payload = Buffer.buffer(new byte[size]);
    }

    @Override
    public Future<?> start() {
      for (int i = 0; i < outstanding; i++) {
        send();
      }
      return Future.succeededFuture();
    }

    private void send() {
      if (stop) {
        return;
      }
      Object body;
      if (batch == 1) {
        body = payload.copy(); // a fresh Buffer per frame, as the server makes one per frame read
      } else {
        List<Object> frames = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          frames.add(payload.copy());
        }
        body = new JsonArray(frames);
      }
      vertx.eventBus().request(ADDRESS, body, delivery).onComplete(ar -> {
        if (ar.succeeded() && size(ar.result().body()) == batch) {
          frames += batch;
        } else {
          errors++;
        }
        send();
      });
    }

    private int size(Object reply) {
      return reply instanceof JsonArray ? ((JsonArray) reply).size() : reply instanceof Buffer ? 1 : -1;
    }
  }
}
