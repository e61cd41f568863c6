package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ten thousand connections opened and closed against one server: every connection's file
 * descriptor is released, whichever way the peer leaves (after an echo, at once, or in the middle
 * of a frame). Counted in {@code /proc/self/fd} of this JVM, which runs the server (and the
 * clients, whose descriptors close with them).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectCloseCyclesTest {

  private static final int CYCLES = 10_000;
  /** Descriptors the JVM may open meanwhile for its own reasons (a class file, a log file). */
  private static final int SLACK = 8;

  private Vertx vertx;
  private final Path path = SocketPaths.fresh();

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(path);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"EPOLL", "NIO"})
  void tenThousandConnectCloseCyclesLeaveOpenFileDescriptorsAtTheBaseline(String transport) throws Exception {
    vertx = Vertx.builder().withTransport(transport.equals("EPOLL") ? Transport.EPOLL : Transport.NIO).build();
    ServerVerticle server = new ServerVerticle(new ServerOptions().setPath(path.toString()).setDrainTimeoutMs(500));
    vertx.deployVerticle(server).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);

    // Warm up first, so that lazily opened descriptors (native libraries, selectors) are in the baseline.
    cycles(200);
    await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().open() == 0);
    long baseline = openFileDescriptors();

    cycles(CYCLES);

    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().open() == 0);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(openFileDescriptors()).as("open fds after %d cycles (baseline %d)", CYCLES, baseline)
            .isLessThanOrEqualTo(baseline + SLACK));
    assertThat(server.stats().accepted()).isEqualTo(200 + CYCLES);
  }

  /** Each cycle one connection: a third echo a frame, a third leave at once, a third leave in the middle of a frame. */
  private void cycles(int n) throws IOException {
    byte[] halfFrame = ByteBuffer.allocate(6).putInt(100).put((byte) 1).put((byte) 2).array();
    for (int i = 0; i < n; i++) {
      try (BlockingClient c = BlockingClient.connect(path)) {
        switch (i % 3) {
          case 0:
            c.writeFrame("cycle " + i);
            assertThat(c.readFrame()).isEqualTo("echo:cycle " + i);
            break;
          case 1:
            break;
          default:
            c.writeRaw(halfFrame);
            break;
        }
      }
    }
  }

  private static long openFileDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
