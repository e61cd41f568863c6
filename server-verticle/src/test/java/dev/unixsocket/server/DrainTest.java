package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.BlockingClient.Received;
import dev.unixsocket.wire.Framing;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.unixsocket.server.ServerContractTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Drain on a graceful stop and takeover by a new server (issue 10), on real sockets with a
 * blocking JDK peer that speaks the control frames by hand.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainTest {

  private static final int GOAWAY = 0x02;
  private static final int DONE = 0x03;
  private static final int HELLO = 0x01;
  private static final int TAKEOVER = 0x04;
  private static final int TAKEOVER_OK = 0x05;
  private static final int REFUSED = 0x06;

  private Vertx vertx;
  private Path path;
  private final List<Vertx> others = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    path = Path.of("/tmp/ud-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
    for (Vertx v : others) {
      await(v.close());
    }
    Files.deleteIfExists(path);
  }

  private ServerOptions options() {
    return new ServerOptions().setPath(path.toString());
  }

  private String start(Vertx on, ServerOptions options) throws Exception {
    return await(on.deployVerticle(new ServerVerticle(options)));
  }

  private static BlockingClient hello(Path path) throws IOException {
    BlockingClient c = BlockingClient.connect(path);
    c.writeControl(HELLO, (byte) 1);
    return c;
  }

  @Test
  void peerThatSaidHelloIsToldToGoAwayAnsweredUntilItsDoneThenClosed() throws Exception {
    String id = start(vertx, options());
    try (BlockingClient c = hello(path)) {
      c.writeFrame("before");
      assertThat(c.read()).isEqualTo(Received.data("echo:before"));
      Future<Void> stopped = vertx.undeploy(id);
      assertThat(c.read().code()).isEqualTo(GOAWAY);
      // Written after GOAWAY arrived but before DONE: still read and answered.
      c.writeFrame("late-1");
      c.writeFrame("late-2");
      assertThat(c.read()).isEqualTo(Received.data("echo:late-1"));
      assertThat(c.read()).isEqualTo(Received.data("echo:late-2"));
      assertThat(stopped.isComplete()).as("the stop waits for DONE").isFalse();
      c.writeControl(DONE);
      assertThat(c.closedByPeer()).isTrue();
      await(stopped);
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void plainPeerNeverGetsAControlFrameIsServedDuringTheDrainAndClosedAtItsEnd() throws Exception {
    String id = start(vertx, options().setDrainTimeoutMs(1_000));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("a");
      assertThat(c.read()).isEqualTo(Received.data("echo:a"));
      Future<Void> stopped = vertx.undeploy(id);
      // Until the drain timeout the plain peer is served as before; then it is closed.
      int answered = echoedUntilClosed(c);
      await(stopped);
      assertThat(answered).isPositive();
    }
  }

  /**
   * Writes frames one at a time, each answered before the next, until the server closes the
   * connection (the drain timeout); returns how many were answered.
   */
  private static int echoedUntilClosed(BlockingClient c) {
    int answered = 0;
    try {
      for (int i = 0; ; i++) {
        c.writeFrame("m" + i);
        assertThat(c.read()).isEqualTo(Received.data("echo:m" + i));
        answered++;
      }
    } catch (IOException closed) {
      return answered;
    }
  }

  @Test
  void peerThatNeverSendsDoneIsClosedAtTheDrainTimeoutWithWhatItSentAnswered() throws Exception {
    String id = start(vertx, options().setDrainTimeoutMs(500));
    try (BlockingClient c = hello(path)) {
      Future<Void> stopped = vertx.undeploy(id);
      assertThat(c.read().code()).isEqualTo(GOAWAY);
      int answered = echoedUntilClosed(c); // ignoring GOAWAY: keeps writing, never says DONE
      await(stopped);
      assertThat(answered).isPositive();
    }
  }

  @Test
  void eventBusHandlerAnswersEveryForwardedFrameBeforeTheClose() throws Exception {
    // Replies come back late, after GOAWAY and DONE: each still reaches the peer before the close.
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS,
        msg -> vertx.setTimer(300, t -> msg.reply(Buffer.buffer("re:").appendBuffer(msg.body()))));
    String id = start(vertx, options().setHandler(FrameHandler.EVENTBUS));
    try (BlockingClient c = hello(path)) {
      for (int i = 0; i < 5; i++) {
        c.writeFrame("r" + i);
      }
      Future<Void> stopped = vertx.undeploy(id);
      List<Received> got = new ArrayList<>();
      Received r;
      while ((r = c.read()).code() != GOAWAY) {
        got.add(r);
      }
      c.writeControl(DONE);
      while (got.size() < 5) {
        got.add(c.read());
      }
      assertThat(got).extracting(Received::text).containsExactly("re:r0", "re:r1", "re:r2", "re:r3", "re:r4");
      assertThat(c.closedByPeer()).isTrue();
      await(stopped);
    }
  }

  @Test
  void takeoverIsAcceptedOnceThenRefusedAndTheOldServerDrainsAway() throws Exception {
    start(vertx, options());
    try (BlockingClient first = hello(path); BlockingClient second = hello(path)) {
      first.writeControl(TAKEOVER);
      assertThat(first.read().code()).isEqualTo(TAKEOVER_OK);
      second.writeControl(TAKEOVER);
      // The refusal, and GOAWAY once the drain starts, in either order.
      assertThat(List.of(second.read(), second.read()))
          .containsExactlyInAnyOrder(new Received(REFUSED, "takeover already under way"), new Received(GOAWAY, ""));
      // Nobody consumes TAKEN_OVER_ADDRESS in this JVM: the verticle undeploys itself, draining.
      assertThat(first.read().code()).isEqualTo(GOAWAY);
      first.writeControl(DONE);
      second.writeControl(DONE);
      assertThat(first.closedByPeer()).isTrue();
      assertThat(second.closedByPeer()).isTrue();
    }
    await().atMost(20, TimeUnit.SECONDS).until(() -> vertx.deploymentIDs().isEmpty());
  }

  @Test
  void controlFrameBeforeHelloClosesTheConnection() throws Exception {
    start(vertx, options());
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("a");
      c.writeControl(TAKEOVER);
      assertThat(c.read()).isEqualTo(Received.data("echo:a"));
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(vertx.deploymentIDs()).hasSize(1);
  }

  @Test
  void replaceTakesOverALiveServerWithoutAMomentWithoutListener() throws Exception {
    start(vertx, options());
    Object oldInode = inode(path);
    AtomicBoolean probing = new AtomicBoolean(true);
    AtomicInteger connected = new AtomicInteger();
    List<String> refused = new ArrayList<>();
    Thread prober = new Thread(() -> {
      while (probing.get()) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          ch.connect(UnixDomainSocketAddress.of(path));
          connected.incrementAndGet();
        } catch (IOException e) {
          synchronized (refused) {
            refused.add(e.toString());
          }
        }
      }
    });
    prober.start();
    await().until(() -> connected.get() > 0);
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    others.add(newer);
    start(newer, options().setReplace(true));
    await().atMost(20, TimeUnit.SECONDS).until(() -> vertx.deploymentIDs().isEmpty());
    int before = connected.get();
    await().until(() -> connected.get() > before); // still connecting, now to the new server
    probing.set(false);
    prober.join();
    synchronized (refused) {
      assertThat(refused).isEmpty();
    }
    assertThat(inode(path)).isNotEqualTo(oldInode);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("new");
      assertThat(c.readFrame()).isEqualTo("echo:new");
    }
  }

  @Test
  void replaceTakesOverAServerWhoseAllowListLeavesOutItsOwnUser() throws Exception {
    // The allow-list names the clients; the server's own user (or root) may still take it over.
    // It used to be refused at accept: the new server held the path and the old one served on.
    start(vertx, options().setAllowUids(Set.of(Takeover.ownUid() + 4242)));
    try (BlockingClient ours = hello(path)) {
      ours.writeFrame("data");
      assertThat(ours.closedByPeer()).as("no messages from a uid the allow-list leaves out").isTrue();
    }
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    others.add(newer);
    start(newer, options().setReplace(true));
    await().atMost(20, TimeUnit.SECONDS).until(() -> vertx.deploymentIDs().isEmpty());
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("new");
      assertThat(c.readFrame()).isEqualTo("echo:new");
    }
  }

  @Test
  void replaceWithLineFramingIsRefusedBeforeItTouchesThePath() throws Exception {
    // Line framing has no control frames: the old server never answered TAKEOVER, and the new one
    // had already renamed its socket over the path, so both served on.
    start(vertx, options().setFraming(Framing.LINE));
    Object oldInode = inode(path);
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    others.add(newer);
    Throwable failure = await(newer.deployVerticle(new ServerVerticle(options().setFraming(Framing.LINE).setReplace(true)))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(failure).isInstanceOf(ServerStartException.class).hasMessage("cannot replace the server at " + path
        + " with line framing: it has no control frames to ask the old server to drain; stop the old server first");
    assertThat(inode(path)).isEqualTo(oldInode);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw("still\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(c.readLine()).isEqualTo("echo:still");
    }
  }

  @Test
  void replaceOfASocketBoundAtThePathItselfIsRefusedBeforeItTouchesThePath() throws Exception {
    // As systemd binds it for socket activation: that server refuses TAKEOVER, but only after the
    // new server had renamed its socket over systemd's, leaving the service's socket unreachable.
    Socket listener = Socket.newSocketDomain();
    listener.bind(new DomainSocketAddress(path.toString()));
    listener.listen(16);
    start(vertx, options().setInheritedFd(listener.intValue()));
    Object systemds = inode(path);
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    others.add(newer);
    Throwable failure = await(newer.deployVerticle(new ServerVerticle(options().setReplace(true)))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(failure).isInstanceOf(ServerStartException.class).hasMessage("cannot replace the server at " + path
        + ": its socket was bound there directly, not handed over by a uds server (a socket passed by systemd?"
        + " restart its service instead)");
    assertThat(inode(path)).isEqualTo(systemds);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("still");
      assertThat(c.readFrame()).isEqualTo("echo:still");
    }
  }

  @Test
  void replaceTakesOverAFullServerWhichKeepsOnePlaceForIt() throws Exception {
    // At --max-connections the takeover connection used to be refused like any other: the new
    // server held the path and the old one served on. A full server keeps three places more for
    // a peer that may take it over (our uid or root), as many as a --replace connects, no more.
    ServerVerticle old = new ServerVerticle(options().setMaxConnections(1));
    await(vertx.deployVerticle(old));
    try (BlockingClient held = hello(path)) {
      held.writeFrame("held");
      assertThat(held.read()).isEqualTo(Received.data("echo:held"));
      try (BlockingClient kept1 = hello(path); BlockingClient kept2 = hello(path); BlockingClient kept3 = hello(path);
          BlockingClient over = BlockingClient.connect(path)) {
        assertThat(over.closedByPeer()).as("a connection past the places kept is refused").isTrue();
        kept1.writeFrame("data");
        assertThat(kept1.closedByPeer()).as("a place kept for a takeover takes no messages").isTrue();
      }
      await().atMost(10, TimeUnit.SECONDS).until(() -> old.stats().open() == 1);
      assertThat(old.stats().refusedLimit()).isEqualTo(2);

      Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
      others.add(newer);
      start(newer, options().setMaxConnections(1).setReplace(true));
      assertThat(held.read().code()).as("the old server drains its client").isEqualTo(GOAWAY);
      held.writeControl(DONE);
      assertThat(held.closedByPeer()).isTrue();
    }
    await().atMost(20, TimeUnit.SECONDS).until(() -> vertx.deploymentIDs().isEmpty());
    assertThat(old.stats().refusedLimit()).as("none of the new server's connections refused").isEqualTo(2);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("new");
      assertThat(c.readFrame()).isEqualTo("echo:new");
    }
  }

  @Test
  void connectionsWaitingInTheBacklogWhenTheStopBeginsAreAnswered() throws Exception {
    // The stop accepts what waits in the listener's backlog before closing it (closing resets
    // them). It gave the acceptor two turns, and Netty accepted one connection a turn: the rest
    // were reset.
    ServerVerticle server = new ServerVerticle(options().setDrainTimeoutMs(500));
    String id = await(vertx.deployVerticle(server));
    SingleThreadEventExecutor acceptorLoop = (SingleThreadEventExecutor) ((VertxInternal) vertx).acceptorEventLoopGroup().next();
    CountDownLatch release = new CountDownLatch(1);
    acceptorLoop.execute(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    List<BlockingClient> waiting = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        BlockingClient c = BlockingClient.connect(path);
        c.writeFrame("q" + i);
        waiting.add(c);
      }
      Future<Void> stopped = vertx.undeploy(id);
      // The stop has removed the path and queued its turns on the (still busy) acceptor.
      await().atMost(10, TimeUnit.SECONDS).until(() -> !Files.exists(path, LinkOption.NOFOLLOW_LINKS)
          && acceptorLoop.pendingTasks() > 0);
      release.countDown();
      List<String> unanswered = new ArrayList<>();
      for (int i = 0; i < waiting.size(); i++) {
        try {
          assertThat(waiting.get(i).readFrame()).isEqualTo("echo:q" + i);
        } catch (IOException e) {
          unanswered.add(i + ": " + e.getMessage());
        }
      }
      assertThat(unanswered).as("connections that waited in the backlog").isEmpty();
      await(stopped);
    } finally {
      release.countDown();
      for (BlockingClient c : waiting) {
        c.close();
      }
    }
  }

  @Test
  void secondReplaceWhileATakeoverRunsFailsWithOneLine() throws Exception {
    start(vertx, options());
    try (Takeover running = Takeover.begin(path.toAbsolutePath())) {
      Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
      others.add(newer);
      Throwable failure = await(newer.deployVerticle(new ServerVerticle(options().setReplace(true)))
          .transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(failure).isInstanceOf(ServerStartException.class)
          .hasMessage("cannot replace the server at " + path + ": another --replace of it is under way");
    }
    assertThat(vertx.deploymentIDs()).hasSize(1);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("still");
      assertThat(c.readFrame()).isEqualTo("echo:still");
    }
  }

  @Test
  void aTakeoverLockThatCannotBeOpenedIsNamedWithTheReasonInOneLine() throws Exception {
    start(vertx, options());
    Path lock = path.resolveSibling("." + path.getFileName() + ".takeover");
    Files.createDirectory(lock);
    try {
      Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
      others.add(newer);
      assertThatThrownBy(() -> start(newer, options().setReplace(true))).hasRootCauseInstanceOf(ServerStartException.class)
          .rootCause().hasMessage("cannot replace the server at " + path + ": cannot open its takeover lock " + lock
              + ": Is a directory");
    } finally {
      Files.delete(lock);
    }
    // A lock another user left: its exception's message is the file name alone.
    assertThat(Takeover.lockUnavailable(path, lock, new java.nio.file.AccessDeniedException(lock.toString())))
        .hasMessage("cannot replace the server at " + path + ": cannot open its takeover lock " + lock
            + ": permission denied (left by another user? remove it)");
  }

  @Test
  void withoutReplaceALivePathIsStillRefused() throws Exception {
    start(vertx, options());
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    others.add(newer);
    assertThatThrownBy(() -> start(newer, options())).hasMessageContaining("in use by a running server");
  }

  private static Object inode(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }
}
