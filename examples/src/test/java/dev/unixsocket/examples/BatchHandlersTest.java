package dev.unixsocket.examples;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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
    try (SocketChannel ch = connect()) {
      // Ten frames in one write: batches of up to 8; an empty frame gets its own reply, not an error for the batch.
      List<String> frames = List.of("hello", "", "Grüße", "a", "b", "c", "d", "e", "f", "g");
      writeAtOnce(ch, frames);
      List<String> replies = readFrames(ch, frames.size());
      assertThat(replies).containsExactly("HELLO", UppercaseBatchHandler.EMPTY_REPLY, "GRÜSSE", "A", "B", "C", "D", "E", "F", "G");
    }
  }

  @ParameterizedTest(name = "handlerBatch {0}")
  @ValueSource(ints = {1, 16})
  void replyBodyHandlerAnswersEveryFrameWithItsOwnPayload(int batch) throws Exception {
    start(ReplyBodyHandler.class.getName(), batch);
    try (SocketChannel ch = connect()) {
      List<String> frames = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        frames.add("payload " + i + " " + "x".repeat(i));
      }
      writeAtOnce(ch, frames);
      assertThat(readFrames(ch, frames.size())).containsExactlyElementsOf(frames);
    }
  }

  private SocketChannel connect() throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(path));
    return ch;
  }

  private static void writeAtOnce(SocketChannel ch, List<String> frames) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (String f : frames) {
      byte[] payload = f.getBytes(StandardCharsets.UTF_8);
      bytes.writeBytes(ByteBuffer.allocate(4).putInt(payload.length).array());
      bytes.writeBytes(payload);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static List<String> readFrames(SocketChannel ch, int n) throws IOException {
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int length = readFully(ch, 4).getInt();
      replies.add(StandardCharsets.UTF_8.decode(readFully(ch, length)).toString());
    }
    return replies;
  }

  private static ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException("closed with " + b.remaining() + " of " + n + " bytes missing");
      }
    }
    return b.flip();
  }
}
