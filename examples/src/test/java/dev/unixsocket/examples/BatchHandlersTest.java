package dev.unixsocket.examples;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.testkit.BlockingClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link UppercaseBatchHandler} and {@link ReplyBodyHandler} behind a server verticle, talked to by a plain JDK socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchHandlersTest {

  private Vertx vertx;
  private Path path;

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    path = Path.of("/tmp/uds-bh-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
    Files.deleteIfExists(path);
  }

  private void start(String handler, int batch) throws Exception {
    await(vertx.deployVerticle(handler)
        .compose(id -> vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path.toString())
            .setHandler(FrameHandler.EVENTBUS).setHandlerBatch(batch)))));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void uppercaseBatchHandlerAnswersEveryFrameOfABatchInOrder() throws Exception {
    start(UppercaseBatchHandler.class.getName(), 8);
    try (BlockingClient c = BlockingClient.connect(path)) {
      // Ten frames in one write: batches of up to 8; an empty frame gets its own reply, not an error for the batch.
      List<String> frames = List.of("hello", "", "Grüße", "a", "b", "c", "d", "e", "f", "g");
      c.writeFramesAtOnce(frames);
      List<String> replies = readFrames(c, frames.size());
      assertThat(replies).containsExactly("HELLO", UppercaseBatchHandler.EMPTY_REPLY, "GRÜSSE", "A", "B", "C", "D", "E", "F", "G");
    }
  }

  @ParameterizedTest(name = "handlerBatch {0}")
  @ValueSource(ints = {1, 16})
  void replyBodyHandlerAnswersEveryFrameWithItsOwnPayload(int batch) throws Exception {
    start(ReplyBodyHandler.class.getName(), batch);
    try (BlockingClient c = BlockingClient.connect(path)) {
      List<String> frames = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        frames.add("payload " + i + " " + "x".repeat(i));
      }
      c.writeFramesAtOnce(frames);
      assertThat(readFrames(c, frames.size())).containsExactlyElementsOf(frames);
    }
  }

  private static List<String> readFrames(BlockingClient c, int n) throws IOException {
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      replies.add(c.readFrame());
    }
    return replies;
  }
}
