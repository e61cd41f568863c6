package dev.unixsocket.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * What the server's event-bus handler path costs per frame, in one JVM, counted rather than
 * timed: the server verticle with a reply-the-body consumer ({@link EventBusCeiling.ReplyBody})
 * behind it, a blocking client that writes {@code --pipeline} frames at once and reads their
 * replies, and the Vert.x event-loop threads' allocated bytes and CPU time per frame
 * ({@code ThreadMXBean}). Allocation per frame does not depend on how busy the machine is;
 * CPU per frame somewhat does. The server is deployed by class name from JSON config, so an
 * older build put first on the class path is measured the same way.
 *
 * <pre>
 * java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.HandlerPathCost --batch 1
 * java -cp OLD/uds.jar:bench-tools/target/bench-tools.jar dev.unixsocket.bench.HandlerPathCost --batch 1
 * </pre>
 */
@Command(name = "handler-path-cost", mixinStandardHelpOptions = true,
    description = "Allocation and CPU per frame of the server's event-bus handler path, in one JVM.")
public final class HandlerPathCost implements Callable<Integer> {

  @Option(names = "--batch", paramLabel = "N", description = "The server's handlerBatch (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--handler", paramLabel = "eventbus|echo", description = "The server's handler (default: ${DEFAULT-VALUE}).")
  String handler = "eventbus";

  @Option(names = "--event-loops", paramLabel = "N",
      description = "Vert.x event loops; 1 = server and consumer on one thread, as uds server runs them (default: ${DEFAULT-VALUE}).")
  int eventLoops = 1;

  @Option(names = "--hand-over-replies",
      description = "The consumer replies with the server's hand-over codec (no copy of the reply body), as ReplyBodyHandler does.")
  boolean handOverReplies;

  @Option(names = "--pipeline", paramLabel = "K", description = "Frames written at once (default: ${DEFAULT-VALUE}).")
  int pipeline = 128;

  @Option(names = "--size", paramLabel = "BYTES", description = "Payload bytes (default: ${DEFAULT-VALUE}).")
  int size = 64;

  @Option(names = "--frames", paramLabel = "N", description = "Frames measured (default: ${DEFAULT-VALUE}).")
  long frames = 2_000_000;

  @Option(names = "--warmup-frames", paramLabel = "N", description = "Frames before measuring (default: ${DEFAULT-VALUE}).")
  long warmupFrames = 2_000_000;

  public static void main(String[] args) {
    System.exit(new CommandLine(new HandlerPathCost()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path path = Path.of("/tmp/uds-cost-" + ProcessHandle.current().pid() + ".sock");
    Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(eventLoops)).withTransport(Transport.EPOLL).build();
    try {
      JsonObject config = new JsonObject().put("path", path.toString()).put("handler", handler)
          .put("handlerBatch", batch).put("echoPrefix", "");
      // By name: the codec is the server's (registered when it deploys), and an older build may lack it.
      DeliveryOptions replies = handOverReplies ? new DeliveryOptions().setCodecName("uds.server.hand-over") : new DeliveryOptions();
      vertx.deployVerticle(new EventBusCeiling.ReplyBody("uds.server.inbound", replies)).await(10, TimeUnit.SECONDS);
      vertx.deployVerticle("dev.unixsocket.server.ServerVerticle", new DeploymentOptions().setConfig(config))
          .await(10, TimeUnit.SECONDS);
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(path));
        ByteBuffer out = ByteBuffer.allocate(pipeline * (4 + size));
        for (int i = 0; i < pipeline; i++) {
          out.putInt(size).put(new byte[size]);
        }
        ByteBuffer in = ByteBuffer.allocate(out.capacity());
        run(ch, out, in, warmupFrames);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = eventLoopThreads();
        long alloc0 = sum(threads.getThreadAllocatedBytes(ids));
        long cpu0 = cpu(threads, ids);
        long t0 = System.nanoTime();
        long done = run(ch, out, in, frames);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long alloc = sum(threads.getThreadAllocatedBytes(ids)) - alloc0;
        long cpu = cpu(threads, ids) - cpu0;
        System.out.println(new JsonObject().put("handler", handler).put("batch", batch).put("eventLoops", eventLoops).put("handOverReplies", handOverReplies).put("pipeline", pipeline)
            .put("size", size).put("frames", done)
            .put("allocatedBytesPerFrame", Math.round((double) alloc / done))
            .put("eventLoopCpuUsPerFrame", Math.round(cpu / 1e3 / done * 100) / 100.0)
            .put("framesPerSecond", Math.round(done / seconds)).encode());
      }
      return 0;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      Files.deleteIfExists(path);
    }
  }

  /** Writes the pipeline's frames, reads as many reply bytes back (replies are as long as requests), until {@code n} frames. */
  private long run(SocketChannel ch, ByteBuffer out, ByteBuffer in, long n) throws Exception {
    long done = 0;
    while (done < n) {
      out.clear();
      while (out.hasRemaining()) {
        ch.write(out);
      }
      in.clear();
      while (in.hasRemaining()) {
        if (ch.read(in) < 0) {
          throw new IllegalStateException("server closed the connection");
        }
      }
      if (in.getInt(0) != size) {
        throw new IllegalStateException("unexpected reply: length " + in.getInt(0));
      }
      done += pipeline;
    }
    return done;
  }

  static long[] eventLoopThreads() {
    List<Long> ids = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("vert.x-eventloop-thread")) {
        ids.add(t.getId());
      }
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  private static long cpu(com.sun.management.ThreadMXBean threads, long[] ids) {
    long total = 0;
    for (long id : ids) {
      total += Math.max(0, threads.getThreadCpuTime(id));
    }
    return total;
  }

  static long sum(long[] values) {
    long total = 0;
    for (long v : values) {
      total += Math.max(0, v);
    }
    return total;
  }
}
