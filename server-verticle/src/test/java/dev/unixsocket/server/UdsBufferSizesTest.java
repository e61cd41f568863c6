package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The direct echo with the buffer sizes {@code uds} runs with (256 KiB reads: it raises Netty's
 * cached-buffer limit, which sizes the loop's shared read and reply buffers), where a read holds
 * whole frames over the 32 KiB copy limit and their replies go out as parts of the shared read
 * buffer. Run by a surefire execution of its own (server-verticle/pom.xml), since the limit is read
 * once per JVM; with the suite's default 32 KiB reads such a payload never sits in one shared read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdsBufferSizesTest {

  private static final int PAYLOAD = 100 * 1024;

  private final Path path = SocketPaths.fresh();
  private Vertx vertx;

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      ServerContractTest.await(vertx.close());
    }
    Files.deleteIfExists(path);
  }

  private void start() throws Exception {
    assumeTrue(Transport.EPOLL.available(), "epoll is not available here");
    assertThat(ConnectionGroup.cachedBufferMax()).as("shared buffer size: run by the uds-buffer-sizes execution")
        .isEqualTo(256 * 1024);
    // One event loop: all connections read into its one shared read buffer.
    vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).withTransport(Transport.EPOLL).build();
    ServerContractTest.await(vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path.toString()))));
  }

  @Test
  void aBurstLargerThanOneReadIsAnsweredWholeAndInOrder() throws Exception {
    start();
    // 4 MiB of 16 KiB frames, 16 written at once: the server reads at most
    // DirectEchoConnection.READ_MAX at a time, frames cut at every read's end.
    assertEchoedInOrder(256, 16 * 1024, 16);
  }

  @Test
  void framesLargerThanTheSharedBufferAreAnsweredWholeAndInOrder() throws Exception {
    start();
    // 1 MiB frames, three written at once: each is gathered over several reads, the next one
    // starting in the middle of a read.
    assertEchoedInOrder(12, 1 << 20, 3);
  }

  /**
   * Writes {@code frames} frames of {@code size} bytes, each its own bytes, {@code perWrite} at a
   * time, while the replies are read: each must be the echo of its frame, in order.
   */
  private void assertEchoedInOrder(int frames, int size, int perWrite) throws Exception {
    try (BlockingClient c = BlockingClient.connect(path)) {
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < frames; i += perWrite) {
            List<String> burst = new ArrayList<>();
            for (int j = i; j < i + perWrite; j++) {
              burst.add(payload(j, size));
            }
            c.writeFramesAtOnce(burst);
          }
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      for (int i = 0; i < frames; i++) {
        String reply = c.readFrame();
        assertThat(reply.equals("echo:" + payload(i, size))).as("reply %d is the echo of frame %d", i, i).isTrue();
      }
      writing.get(30, TimeUnit.SECONDS);
    }
  }

  /** {@code size} bytes of one letter, picked by {@code i}, with {@code i} itself in front. */
  private static String payload(int i, int size) {
    String head = i + ":";
    return head + String.valueOf((char) ('a' + i % 26)).repeat(size - head.length());
  }

  @Test
  void repliesWaitingForTheirPeerKeepTheirBytesWhileAnotherPeerIsRead() throws Exception {
    // A does not read, so its replies (100 KiB payloads, parts of the shared read buffer) wait:
    // they must be copied out before B's reads reuse the buffer, or A is sent B's bytes.
    start();
    String fromA = "a".repeat(PAYLOAD);
    String fromB = "b".repeat(PAYLOAD);
    try (BlockingClient a = BlockingClient.connect(path); BlockingClient b = BlockingClient.connect(path)) {
      long written = a.writeFramesUntilRefused(fromA.getBytes(StandardCharsets.US_ASCII), 256L << 20);
      a.configureBlocking();
      for (int i = 0; i < 32; i++) {
        b.writeFramesAtOnce(List.of(fromB, fromB));
        assertThat(b.readFrame()).isEqualTo("echo:" + fromB);
        assertThat(b.readFrame()).isEqualTo("echo:" + fromB);
      }
      long answered = written / (4 + PAYLOAD); // the last frame may be incomplete: not answered
      assertThat(answered).as("complete frames A wrote").isGreaterThan(2);
      for (long i = 0; i < answered; i++) {
        String reply = a.readFrame();
        assertThat(reply).as("reply %d of %d to A", i, answered).startsWith("echo:").hasSize(5 + PAYLOAD);
        assertThat(reply.substring(5).replace("a", "").length()).as("bytes of reply %d to A that are not A's", i).isZero();
      }
    }
  }
}
