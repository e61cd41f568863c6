package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Control;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.unixsocket.server.ServerContractTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The echo answers a large frame (length framing, payload over 32 KiB) as it arrives
 * ({@link EchoConnection#begin}): the reply's first bytes come back while the frame is still
 * being written, whole and in order with what follows, and a control frame the server sends
 * meanwhile waits until the reply is complete. On the connection without a channel (epoll's
 * default) and with channels.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamedRepliesTest {

  private static final int SIZE = 1024 * 1024;
  /** What the peer writes of the frame before it waits for the reply: well past 32 KiB, well within the socket buffers. */
  private static final int FIRST = 100 * 1024;
  private static final byte[] PAYLOAD = new byte[SIZE];

  static {
    for (int i = 0; i < SIZE; i++) {
      PAYLOAD[i] = (byte) (i * 31 % 251);
    }
  }

  private final Path path = SocketPaths.fresh();
  private Vertx vertx;
  private ServerVerticle server;
  private String id;

  @AfterEach
  void tearDown() throws Exception {
    System.clearProperty(DirectEchoConnection.CHANNELS_PROPERTY);
    if (vertx != null) {
      await(vertx.close());
    }
    Files.deleteIfExists(path);
  }

  private void start(boolean channels) throws Exception {
    start(channels, new ServerOptions().setPath(path.toString()));
  }

  private void start(boolean channels, ServerOptions options) throws Exception {
    assumeTrue(Transport.EPOLL.available(), "epoll is not available here");
    if (channels) {
      System.setProperty(DirectEchoConnection.CHANNELS_PROPERTY, "true");
    }
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    server = new ServerVerticle(options);
    id = await(vertx.deployVerticle(server));
  }

  /** The frame's header and its first {@link #FIRST} payload bytes. */
  private static byte[] frameStart() {
    return ByteBuffer.allocate(4 + FIRST).putInt(SIZE).put(PAYLOAD, 0, FIRST).array();
  }

  /** Reads the reply's header, prefix and first part, which must come before the frame is complete. */
  private static void readReplyStart(BlockingClient c) throws Exception {
    byte[] start = CompletableFuture.supplyAsync(() -> {
      try {
        return c.readBytes(4 + 5 + FIRST);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    }).get(10, TimeUnit.SECONDS);
    ByteBuffer b = ByteBuffer.wrap(start);
    assertThat(b.getInt()).as("the reply's length").isEqualTo(5 + SIZE);
    byte[] prefix = new byte[5];
    b.get(prefix);
    assertThat(new String(prefix, StandardCharsets.UTF_8)).isEqualTo("echo:");
    assertThat(Arrays.equals(start, 9, start.length, PAYLOAD, 0, FIRST)).as("the payload's first part").isTrue();
  }

  /** Writes the rest of the frame, and then {@code after}, from another thread (the socket buffers hold less). */
  private static CompletableFuture<Void> writeRest(BlockingClient c, byte[] after) {
    return CompletableFuture.runAsync(() -> {
      try {
        c.writeRaw(Arrays.copyOfRange(PAYLOAD, FIRST, SIZE));
        c.writeRaw(after);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
  }

  private static void assertRestOfPayload(BlockingClient c) throws IOException {
    byte[] rest = c.readBytes(SIZE - FIRST);
    assertThat(Arrays.equals(rest, 0, rest.length, PAYLOAD, FIRST, SIZE)).as("the payload's rest, nothing inside it").isTrue();
  }

  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void aLargeFrameIsAnsweredAsItArrivesAndWhatFollowsComesAfterIt(boolean channels) throws Exception {
    start(channels);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw(frameStart());
      readReplyStart(c);
      CompletableFuture<Void> written = writeRest(c, ByteBuffer.allocate(9).putInt(5).put("after".getBytes(StandardCharsets.UTF_8)).array());
      assertRestOfPayload(c);
      assertThat(c.readFrame()).isEqualTo("echo:after");
      written.get(10, TimeUnit.SECONDS);
    }
    // Counted as frames, once each, with every byte.
    assertThat(server.stats().framesIn()).isEqualTo(2);
    assertThat(server.stats().bytesIn()).isEqualTo(4 + SIZE + 4 + 5);
    assertThat(server.stats().framesOut()).isEqualTo(2);
    assertThat(server.stats().bytesOut()).isEqualTo(4 + 5 + SIZE + 4 + 5 + 5);
  }

  /**
   * A client that writes a whole frame before it reads (blocking, one thread): the reply fills the
   * socket long before 4 MiB are written, and the server must read on to the frame's end, as it
   * did when frames were gathered whole, or both sides wait for each other.
   */
  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void aPeerThatWritesAWholeLargeFrameBeforeReadingGetsItsReply(boolean channels) throws Exception {
    start(channels);
    int size = 4 * 1024 * 1024;
    byte[] frame = new byte[4 + size];
    ByteBuffer.wrap(frame).putInt(size);
    for (int i = 0; i < size; i++) {
      frame[4 + i] = PAYLOAD[i % SIZE];
    }
    try (BlockingClient c = BlockingClient.connect(path)) {
      CompletableFuture.runAsync(() -> {
        try {
          c.writeRaw(frame);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }).get(20, TimeUnit.SECONDS);
      byte[] reply = c.readBytes(4 + 5 + size);
      assertThat(ByteBuffer.wrap(reply).getInt()).isEqualTo(5 + size);
      assertThat(Arrays.equals(reply, 9, reply.length, frame, 4, frame.length)).as("the payload echoed").isTrue();
      c.writeFrame("after");
      assertThat(c.readFrame()).isEqualTo("echo:after");
    }
  }

  /**
   * The same after small frames whose replies fill more than one reply batch in the read the large
   * frame begins in: those replies have not been offered to the socket yet, so they are not replies
   * waiting for the peer, and the large frame is read on as when it comes alone (the server took
   * them for waiting ones and never read on: both sides waited).
   */
  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void aPeerThatWritesSmallFramesAndAWholeLargeFrameBeforeReadingGetsEveryReply(boolean channels) throws Exception {
    // 2,000 frames of 10 bytes and the large frame's header in the first 32 KiB read; their replies,
    // 214 bytes each with this prefix, fill thirteen 32 KiB batches.
    String prefix = "p".repeat(200);
    start(channels, new ServerOptions().setPath(path.toString()).setEchoPrefix(prefix));
    int count = 2000;
    int small = 10;
    int size = 4 * 1024 * 1024;
    ByteBuffer frames = ByteBuffer.allocate(count * (4 + small) + 4 + size);
    for (int f = 0; f < count; f++) {
      frames.putInt(small).put(PAYLOAD, f, small);
    }
    frames.putInt(size);
    for (int i = 0; i < size; i++) {
      frames.put(PAYLOAD[i % SIZE]);
    }
    try (BlockingClient c = BlockingClient.connect(path)) {
      CompletableFuture.runAsync(() -> {
        try {
          c.writeRaw(frames.array());
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }).get(20, TimeUnit.SECONDS);
      for (int f = 0; f < count; f++) {
        byte[] reply = c.readBytes(4 + prefix.length() + small);
        assertThat(Arrays.equals(reply, 4 + prefix.length(), reply.length, PAYLOAD, f, f + small)).as("reply %d", f).isTrue();
      }
      byte[] reply = c.readBytes(4 + prefix.length() + size);
      assertThat(ByteBuffer.wrap(reply).getInt()).isEqualTo(prefix.length() + size);
      assertThat(Arrays.equals(reply, 4 + prefix.length(), reply.length, frames.array(), frames.capacity() - size, frames.capacity()))
          .as("the large payload echoed").isTrue();
    }
  }

  /**
   * But a peer that does not read stops being read, large frames or not: the server reads on only to
   * the end of the frame being streamed (one that starts while replies wait is gathered instead).
   */
  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void aPeerThatDoesNotReadStopsBeingReadWithLargeFramesToo(boolean channels) throws Exception {
    start(channels);
    try (BlockingClient c = BlockingClient.connect(path)) {
      assertThat(c.writeFramesUntilRefused(Arrays.copyOf(PAYLOAD, FIRST), 256L << 20)).as("bytes the server let in").isLessThan(64L << 20);
    }
  }

  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void goAwayDuringAStreamedReplyComesAfterIt(boolean channels) throws Exception {
    start(channels);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeControl(Control.HELLO.code(), (byte) 1);
      c.writeRaw(frameStart());
      readReplyStart(c);
      Future<Void> stopped = vertx.undeploy(id);
      awaitDraining();
      // GOAWAY is due now, in the middle of the reply: it must wait for the reply's end.
      CompletableFuture<Void> written = writeRest(c, new byte[0]);
      assertRestOfPayload(c);
      assertThat(c.read().code()).isEqualTo(Control.GOAWAY.code());
      written.get(10, TimeUnit.SECONDS);
      c.writeControl(Control.DONE.code());
      assertThat(c.closedByPeer()).isTrue();
      await(stopped);
    }
  }

  @ParameterizedTest(name = "channels={0}")
  @ValueSource(booleans = {false, true})
  void aFrameCutShortByTheEndOfInputLeavesItsReplyAsShort(boolean channels) throws Exception {
    start(channels);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw(frameStart());
      readReplyStart(c);
      c.shutdownOutput();
      assertThat(c.closedByPeer()).as("closed after the part that came, nothing more").isTrue();
    }
    assertThat(server.stats().framesIn()).isZero();
  }

  /** Until every event loop's connections were told the server drains (GOAWAY sent or held). */
  private void awaitDraining() {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (ConnectionGroup group : server.groups()) {
        CompletableFuture<Boolean> draining = new CompletableFuture<>();
        group.loop().execute(() -> draining.complete(group.draining()));
        if (!draining.get(10, TimeUnit.SECONDS)) {
          return false;
        }
      }
      return true;
    });
  }
}
