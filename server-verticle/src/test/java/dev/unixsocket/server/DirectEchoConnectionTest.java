package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Control;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The echo on epoll serves each connection's descriptor without a Netty channel
 * ({@link DirectEchoConnection}; bench/NOTES.md, "A connection without Netty's channel"): what it
 * must keep from the channel it replaces. The contract tests run it as the epoll echo; here, that it
 * is the one serving, that the property turns channels back on, that a peer which ends its input
 * still gets its replies, that a peer which does not read stops being read, and that a connection
 * closed in the middle of its read leaves nothing of its replies to the next connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DirectEchoConnectionTest {

  private final Path path = SocketPaths.fresh();
  private Vertx vertx;
  private ServerVerticle server;

  @AfterEach
  void tearDown() throws Exception {
    System.clearProperty(DirectEchoConnection.CHANNELS_PROPERTY);
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
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    server = new ServerVerticle(options);
    ServerContractTest.await(vertx.deployVerticle(server));
  }

  /** The open connections' classes and whether their channels are registered, read on their loops. */
  private List<String> connections() throws Exception {
    List<String> seen = new ArrayList<>();
    for (ConnectionGroup group : server.groups()) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      group.loop().execute(() -> {
        group.each(c -> seen.add(c.getClass().getSimpleName() + (c.channel().isRegistered() ? " on a registered channel" : "")));
        done.complete(null);
      });
      done.get(10, TimeUnit.SECONDS);
    }
    return seen;
  }

  @Test
  void anEchoConnectionOnEpollIsServedWithoutItsChannel() throws Exception {
    start();
    try (BlockingClient a = BlockingClient.connect(path); BlockingClient b = BlockingClient.connect(path)) {
      a.writeFrame("one");
      b.writeFrame("two");
      assertThat(a.readFrame()).isEqualTo("echo:one");
      assertThat(b.readFrame()).isEqualTo("echo:two");
      assertThat(connections()).containsExactly("DirectEchoConnection", "DirectEchoConnection");
    }
  }

  @Test
  void thePropertyTurnsChannelsBackOn() throws Exception {
    System.setProperty(DirectEchoConnection.CHANNELS_PROPERTY, "true");
    start();
    try (BlockingClient a = BlockingClient.connect(path)) {
      a.writeFrame("one");
      assertThat(a.readFrame()).isEqualTo("echo:one");
      assertThat(connections()).containsExactly("EchoConnection on a registered channel");
    }
  }

  @Test
  void aPeerThatEndsItsInputStillGetsEveryReply() throws Exception {
    start();
    try (BlockingClient c = BlockingClient.connect(path)) {
      List<String> frames = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        frames.add("m" + i);
      }
      c.writeFramesAtOnce(frames);
      c.shutdownOutput();
      for (int i = 0; i < 500; i++) {
        assertThat(c.readFrame()).isEqualTo("echo:m" + i);
      }
      assertThat(c.closedByPeer()).as("closed once everything read was answered").isTrue();
    }
  }

  @Test
  void aPeerThatDoesNotReadItsRepliesStopsBeingRead() throws Exception {
    start();
    try (BlockingClient c = BlockingClient.connect(path)) {
      // Once the replies fill the socket, the server must stop reading, so the requests fill it
      // too and our writes stop being taken. A server that kept reading would take them all, its
      // queue growing by as much.
      assertThat(c.writeFramesUntilRefused(new byte[1024], 256L << 20)).as("bytes the server let in").isLessThan(64L << 20);
    }
  }

  @Test
  void aConnectionClosedInTheMiddleOfItsReadLeavesNoReplyPiecesToTheNext() throws Exception {
    start();
    try (BlockingClient a = BlockingClient.connect(path); BlockingClient b = BlockingClient.connect(path)) {
      a.writeControl(Control.HELLO.code(), (byte) Control.VERSION);
      a.writeFrame("a");
      assertThat(a.readFrame()).isEqualTo("echo:a");
      b.writeFrame("b");
      assertThat(b.readFrame()).isEqualTo("echo:b");
      // With the one event loop held, A sends a small frame, an 8 KiB one (its reply's payload is
      // then a piece of the shared read buffer) and a TAKEOVER, and is gone before the server reads
      // them: the answer to TAKEOVER, sent at once, fails, and A is closed in the middle of its read
      // with its reply batch unsent. B's two frames come next, in the same turn of the loop; pieces
      // left of A's batch would send the reply buffer's first bytes, then bytes of the read buffer.
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      ConnectionGroup group = server.groups().get(0);
      assertThat(server.groups()).hasSize(1);
      group.loop().execute(() -> {
        held.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
      byte[] payload = "p".repeat(8192).getBytes(StandardCharsets.US_ASCII);
      a.writeRaw(ByteBuffer.allocate(5 + 4 + payload.length + 4).putInt(1).put((byte) 'x')
          .putInt(payload.length).put(payload)
          .put((byte) Control.MARKER).put((byte) Control.TAKEOVER.code()).putShort((short) 0).array());
      a.close();
      b.writeFramesAtOnce(List.of("after", "again"));
      release.countDown();
      assertThat(b.readFrame()).isEqualTo("echo:after");
      assertThat(b.readFrame()).as("B's second reply, nothing of A's").isEqualTo("echo:again");
    }
  }

  @ParameterizedTest(name = "echo on channels: {0}")
  @ValueSource(booleans = {false, true})
  void aPeerThatSaysDoneButNeverReadsIsClosedByTheIdleTimeout(boolean channels) throws Exception {
    if (channels) {
      System.setProperty(DirectEchoConnection.CHANNELS_PROPERTY, "true");
    }
    // HELLO, 100 empty frames and DONE in one write: the server reads them in one go and, at
    // DONE, is left closing with replies to send. An 8 KiB prefix makes those 800 KiB, more than
    // the socket takes, and the peer never reads them.
    start(new ServerOptions().setPath(path.toString()).setEchoPrefix("x".repeat(8192)).setIdleTimeoutSeconds(1));
    try (BlockingClient c = BlockingClient.connect(path)) {
      ByteBuffer all = ByteBuffer.allocate(5 + 400 + 4)
          .put((byte) Control.MARKER).put((byte) Control.HELLO.code()).putShort((short) 1).put((byte) 1)
          .put(new byte[400])
          .put((byte) Control.MARKER).put((byte) Control.DONE.code()).putShort((short) 0);
      c.writeRaw(all.array());
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().closedIdle() > 0);
      assertThat(server.stats().closedIdle()).as("closed by the idle timeout, not left to the hard stop").isEqualTo(1);
      // Counted before the close: a channel leaves its group in a task of its own, after it.
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> connections().isEmpty());
    }
  }
}
