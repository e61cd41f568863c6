package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
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
 * whole frames over the 32 KiB copy limit, replies whose payloads go out from the shared read
 * buffer ({@link ReplyPieces}) add up to more than the kernel takes in one send, and so one send is
 * taken only in part. Run by a surefire execution of its own (server-verticle/pom.xml), since the
 * limit is read once per JVM; with the suite's default 32 KiB reads neither happens.
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
    start(new ServerOptions().setPath(path.toString()));
  }

  private void start(ServerOptions options) throws Exception {
    assumeTrue(Transport.EPOLL.available(), "epoll is not available here");
    assertThat(ConnectionGroup.cachedBufferMax()).as("shared buffer size: run by the uds-buffer-sizes execution")
        .isEqualTo(256 * 1024);
    // One event loop: all connections read into its one shared read buffer.
    vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).withTransport(Transport.EPOLL).build();
    ServerContractTest.await(vertx.deployVerticle(new ServerVerticle(options)));
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

  @ParameterizedTest(name = "{0} framing")
  @EnumSource(Framing.class)
  void framesOfEverySizePipelinedToAPeerThatReadsInSmallPartsComeBackWhole(Framing framing) throws Exception {
    start(new ServerOptions().setPath(path.toString()).setFraming(framing));
    // Sizes around the limits: copied (under 4 KiB), sent from the read (4 KiB on, when whole in
    // a read), answered as they arrive (over 32 KiB and cut by a read's end, length framing).
    int[] sizes = {5000, 64, 20_000, 40_000, 4096, 4095, 100_000, 16_384, 1, 300_000};
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    ByteArrayOutputStream replies = new ByteArrayOutputStream();
    for (int f = 0; f < 150; f++) {
      byte[] payload = letters(f, sizes[f % sizes.length]);
      if (framing == Framing.LENGTH) {
        frames.writeBytes(ByteBuffer.allocate(4).putInt(payload.length).array());
        replies.writeBytes(ByteBuffer.allocate(4).putInt(5 + payload.length).array());
      }
      frames.writeBytes(payload);
      replies.writeBytes("echo:".getBytes(StandardCharsets.US_ASCII));
      replies.writeBytes(payload);
      if (framing == Framing.LINE) {
        frames.write('\n');
        replies.write('\n');
      }
    }
    byte[] expected = replies.toByteArray();
    try (BlockingClient c = BlockingClient.connect(path)) {
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          c.writeRaw(frames.toByteArray());
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      // Reads of 997 bytes keep the socket nearly full: a send of a read's replies (up to 192 KiB,
      // more than one of the kernel's buffers) is often taken only in part, and the rest must be
      // copied out from where the socket stopped.
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      while (got.size() < expected.length) {
        got.writeBytes(c.readBytes(Math.min(997, expected.length - got.size())));
      }
      written.get(30, TimeUnit.SECONDS);
      assertThat(got.toByteArray()).as("%d bytes of replies", expected.length).isEqualTo(expected);
    }
  }

  /** Letters only (no newline for line framing), different for each frame. */
  private static byte[] letters(int frame, int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + (frame * 7 + i) % 26);
    }
    return b;
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
