package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Peers that write frames and never read the replies: the server should stop reading from them
 * once their replies fill the per-connection queue ({@code maxQueuedBytes}), so that its memory
 * stays bounded however much they try to send, while another client is served. Memory is
 * measured in this JVM, which runs the server: heap after a full GC, and direct memory (Netty's
 * counter plus the JDK's direct buffer pool).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowReaderMemoryTest {

  private static final int MAX_QUEUED_BYTES = 64 * 1024;
  /** Generous: about one queue, one reply and one partial frame per hog is expected. */
  private static final long BOUND = 32L * 1024 * 1024;
  /**
   * Direct memory is counted in whole 4 MiB arena chunks, and each event loop's thread cache keeps
   * up to 64 freed read buffers of 32 KiB (2 MiB) inside its arena's chunks: one chunk more per
   * event loop on top of BOUND. With 4 MiB written by the hogs the growth measured 28-36 MiB, moving
   * by a chunk or two with what earlier tests left in the arenas (it also measured -8 MiB).
   */
  private static final long DIRECT_BOUND = BOUND + 4L * 4 * 1024 * 1024;

  private Vertx vertx;
  private ServerVerticle server;
  private final Path path = SocketPaths.fresh();
  private final List<SocketChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (SocketChannel c : channels) {
      c.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(path);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"EPOLL", "NIO"})
  void peersThatNeverReadCannotGrowTheServersMemory_andAnotherClientIsServed(String transport) throws Exception {
    hogsStayBounded(transport, 20, 1_000);
  }

  /**
   * Large frames: each reply is far over maxQueuedBytes. Failed before the echo handler moved
   * into the Netty pipeline (a hog got ~17 MiB in, +270 MB heap): Vert.x kept reading while its
   * write queue was over the limit. Now reading stops at the end of any read batch that leaves
   * the channel unwritable.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"EPOLL", "NIO"})
  void peersSendingLargeFramesThatNeverReadCannotGrowTheServersMemory(String transport) throws Exception {
    hogsStayBounded(transport, 4, 1024 * 1024);
  }

  private void hogsStayBounded(String transport, int hogCount, int payload) throws Exception {
    vertx = Vertx.builder().withTransport(transport.equals("EPOLL") ? Transport.EPOLL : Transport.NIO).build();
    server = new ServerVerticle(new ServerOptions().setPath(path.toString()).setMaxQueuedBytes(MAX_QUEUED_BYTES).setDrainTimeoutMs(500));
    vertx.deployVerticle(server).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    try (BlockingClient other = BlockingClient.connect(path)) {
      roundTrips(other, 100); // warm-up: buffers and pools the server allocates anyway
      List<Hog> hogs = new ArrayList<>();
      for (int i = 0; i < hogCount; i++) {
        hogs.add(new Hog(open(), payload));
      }
      Memory before = Memory.measure();
      hogs.forEach(Hog::start);

      // The hogs write until the server stops reading them all: not one byte more in a whole second.
      AtomicLong last = new AtomicLong(-1);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).alias("writes of peers that never read stall")
          .until(() -> {
            long now = hogs.stream().mapToLong(h -> h.written.get()).sum();
            return last.getAndSet(now) == now;
          });
      long written = hogs.stream().mapToLong(h -> h.written.get()).sum();
      assertThat(server.stats().open()).as("every hog is still connected, paused rather than closed").isEqualTo(hogCount + 1);

      roundTrips(other, 100);
      Memory after = Memory.measure();
      String what = String.format("%s after %d hogs wrote %.1f MiB in %d-byte frames", transport, hogCount, written / 1048576.0, payload);
      System.out.printf("%s: heap after GC %+.1f MiB, direct %+.1f MiB%n", what,
          (after.heap - before.heap) / 1048576.0, (after.direct - before.direct) / 1048576.0);
      assertThat(after.heap - before.heap).as("heap growth (after GC), %s", what).isLessThan(BOUND);
      assertThat(after.direct - before.direct).as("direct memory growth, %s", what).isLessThan(DIRECT_BOUND);
    }
    for (SocketChannel c : channels) {
      c.close();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().open() == 0);
  }

  /** A peer that writes the same frame over and over on a thread of its own, never reading; it blocks once the server stops reading. */
  private static final class Hog extends Thread {
    final AtomicLong written = new AtomicLong();
    private final SocketChannel channel;
    private final ByteBuffer frame;

    Hog(SocketChannel channel, int payload) {
      super("hog");
      setDaemon(true);
      this.channel = channel;
      this.frame = ByteBuffer.allocate(4 + payload).putInt(payload).flip();
    }

    @Override
    public void run() {
      try {
        while (true) {
          written.addAndGet(channel.write(frame));
          if (!frame.hasRemaining()) {
            frame.rewind();
          }
        }
      } catch (IOException e) {
        // closed at the end of the test
      }
    }
  }

  private SocketChannel open() throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    channels.add(ch);
    ch.connect(UnixDomainSocketAddress.of(path));
    return ch;
  }

  private static void roundTrips(BlockingClient c, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      c.writeFrame("still served " + i);
      assertThat(c.readFrame()).isEqualTo("echo:still served " + i);
    }
  }

  private record Memory(long heap, long direct) {
    static Memory measure() {
      System.gc();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long direct = Math.max(0, PlatformDependent.usedDirectMemory());
      for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
        if (pool.getName().equals("direct")) {
          direct += pool.getMemoryUsed();
        }
      }
      return new Memory(heap, direct);
    }
  }
}
