package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.testkit.TestTransport;
import dev.unixsocket.wire.Framing;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server's behaviour on real Unix sockets, written once and run on every transport we
 * support (as Netty's domain-socket tests reuse its TCP tests): epoll, NIO and io_uring, each
 * skipped with the reason where it is unavailable.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestTransport.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerContractTest {

  @Parameter
  TestTransport transport;

  protected Vertx vertx;
  protected Path path;

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(transport.transport()).build();
    path = SocketPaths.fresh();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (vertx == null) {
      return; // the transport is unavailable: skipped before anything started
    }
    await(vertx.close());
    Files.deleteIfExists(path);
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  ServerOptions options() {
    return new ServerOptions().setPath(path.toString());
  }

  String start(ServerOptions options) throws Exception {
    return await(vertx.deployVerticle(new ServerVerticle(options)));
  }

  Throwable startFailure(ServerOptions options) throws Exception {
    return await(vertx.deployVerticle(new ServerVerticle(options)).transform(ar -> Future.succeededFuture(ar.cause())));
  }

  @Test
  void lengthFramedMessageIsEchoedWithThePrefix() throws Exception {
    start(options());
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("hello");
      c.writeFrame("");
      assertThat(c.readFrame()).isEqualTo("echo:hello");
      assertThat(c.readFrame()).isEqualTo("echo:");
    }
  }

  @Test
  void lineFramedMessageIsEchoedAndCarriageReturnDropped() throws Exception {
    start(options().setFraming(Framing.LINE).setEchoPrefix("> "));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw("hello\r\nworld\n".getBytes());
      assertThat(c.readLine()).isEqualTo("> hello");
      assertThat(c.readLine()).isEqualTo("> world");
    }
  }

  @Test
  void thousandFramesPipelinedInOneWriteAreAnsweredInOrder() throws Exception {
    start(options());
    ByteBuffer all = ByteBuffer.allocate(1000 * 12);
    for (int i = 0; i < 1000; i++) {
      byte[] p = ("m" + i).getBytes();
      all.putInt(p.length).put(p);
    }
    byte[] bytes = new byte[all.position()];
    all.flip().get(bytes);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw(bytes);
      for (int i = 0; i < 1000; i++) {
        assertThat(c.readFrame()).isEqualTo("echo:m" + i);
      }
    }
  }

  @Test
  void streamSplitByteByByteIsReassembled() throws Exception {
    start(options());
    byte[] frame = ByteBuffer.allocate(4 + 9).putInt(9).put("byte-wise".getBytes()).array();
    try (BlockingClient c = BlockingClient.connect(path)) {
      for (byte b : frame) {
        c.writeRaw(new byte[] {b});
      }
      assertThat(c.readFrame()).isEqualTo("echo:byte-wise");
    }
  }

  @Test
  void largeFramesArrivingInPiecesAreEchoedIntact() throws Exception {
    // Frames of 100-300 KB span many reads (gathered without copying), mixed with small ones
    // that complete inside the same reads; every reply byte is compared.
    start(options());
    java.util.Random random = new java.util.Random(42);
    java.util.List<String> payloads = new java.util.ArrayList<>();
    java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 6; i++) {
      int size = i % 2 == 0 ? 100_000 + random.nextInt(200_000) : 1 + random.nextInt(50);
      StringBuilder sb = new StringBuilder(size);
      for (int j = 0; j < size; j++) {
        sb.append((char) ('a' + random.nextInt(26)));
      }
      String p = sb.toString();
      payloads.add(p);
      stream.write(ByteBuffer.allocate(4).putInt(p.length()).array());
      stream.write(p.getBytes());
    }
    byte[] bytes = stream.toByteArray();
    try (BlockingClient c = BlockingClient.connect(path)) {
      for (int at = 0; at < bytes.length; ) {
        int n = Math.min(bytes.length - at, 1 + random.nextInt(40_000));
        c.writeRaw(java.util.Arrays.copyOfRange(bytes, at, at + n));
        at += n;
      }
      for (String p : payloads) {
        assertThat(c.readFrame()).isEqualTo("echo:" + p);
      }
    }
  }

  @Test
  void oversizeHeaderClosesOnlyThatConnection() throws Exception {
    start(options().setMaxFrame(1024));
    try (BlockingClient good = BlockingClient.connect(path); BlockingClient bad = BlockingClient.connect(path)) {
      good.writeFrame("before");
      assertThat(good.readFrame()).isEqualTo("echo:before");
      bad.writeRaw(ByteBuffer.allocate(4).putInt(1025).array());
      assertThat(bad.closedByPeer()).isTrue();
      good.writeFrame("after");
      assertThat(good.readFrame()).isEqualTo("echo:after");
    }
  }

  @Test
  void helloIsTakenInFrameOrderAndNeverAnswered() throws Exception {
    start(options());
    ByteBuffer b = ByteBuffer.allocate(5 + 5 + 5).putInt(1).put((byte) 'a')
        .put(new byte[] {(byte) 0x80, 0x01, 0, 1, 1}) // HELLO, version 1
        .putInt(1).put((byte) 'b');
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw(b.array());
      assertThat(c.readFrame()).isEqualTo("echo:a");
      assertThat(c.readFrame()).isEqualTo("echo:b");
      c.writeFrame("c");
      assertThat(c.readFrame()).isEqualTo("echo:c");
    }
  }

  @Test
  void aBadOrUnexpectedControlFrameClosesOnlyThatConnectionAfterAnsweringWhatCameBefore() throws Exception {
    start(options());
    byte[][] bad = {
        {(byte) 0x80, 0x02, 0, 0}, // GOAWAY: a peer has no business sending it
        {(byte) 0xc0, 0x01, 0, 1}, // reserved bit set
        {(byte) 0x80, 0x07, 0, 0}, // unknown code
        {(byte) 0x80, 0x06, 0x04, 0x01}, // REFUSED announcing 1025 bytes
    };
    try (BlockingClient good = BlockingClient.connect(path)) {
      for (byte[] control : bad) {
        try (BlockingClient c = BlockingClient.connect(path)) {
          c.writeRaw(ByteBuffer.allocate(4 + 2 + control.length + 6).putInt(2).put("ok".getBytes()).put(control)
              .putInt(2).put("no".getBytes()).array());
          assertThat(c.readFrame()).isEqualTo("echo:ok");
          assertThat(c.closedByPeer()).as("closed after %s", java.util.HexFormat.of().formatHex(control)).isTrue();
        }
        good.writeFrame("still");
        assertThat(good.readFrame()).isEqualTo("echo:still");
      }
    }
  }

  @Test
  void framesBeforeAnOversizeOneAreStillAnswered() throws Exception {
    start(options().setMaxFrame(16));
    ByteBuffer b = ByteBuffer.allocate(4 + 2 + 4).putInt(2).put("ok".getBytes()).putInt(17);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw(b.array());
      assertThat(c.readFrame()).isEqualTo("echo:ok");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void overlongLineClosesThatConnection() throws Exception {
    start(options().setFraming(Framing.LINE).setMaxFrame(8));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw("0123456789abcdef".getBytes());
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void randomGarbageNeverTakesTheServerDown() throws Exception {
    start(options().setMaxFrame(4096));
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      byte[] garbage = new byte[1 + random.nextInt(8192)];
      random.nextBytes(garbage);
      try (BlockingClient c = BlockingClient.connect(path)) {
        c.writeRaw(garbage);
      } catch (IOException closedMidWrite) {
        // the server may close a connection whose garbage announced a huge frame
      }
    }
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("still here");
      assertThat(c.readFrame()).isEqualTo("echo:still here");
    }
  }

  @Test
  void staleSocketFileIsReplaced() throws Exception {
    // A socket file with no listener: what a killed server leaves behind.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(path));
    }
    assertThat(path).exists();
    start(options());
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("x");
      assertThat(c.readFrame()).isEqualTo("echo:x");
    }
  }

  @Test
  void liveServerIsLeftAloneBySecondServer() throws Exception {
    start(options());
    Object inode = Files.readAttributes(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    Throwable failure = startFailure(options());
    assertThat(failure).isInstanceOf(ServerStartException.class).hasMessageContaining("in use by a running server");
    assertThat(Files.readAttributes(path, "unix:ino", LinkOption.NOFOLLOW_LINKS)).isEqualTo(inode);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("first still serves");
      assertThat(c.readFrame()).isEqualTo("echo:first still serves");
    }
  }

  @Test
  void regularFileAtThePathIsNeverDeleted() throws Exception {
    Files.writeString(path, "precious");
    Throwable failure = startFailure(options());
    assertThat(failure).isInstanceOf(ServerStartException.class).hasMessageContaining("is not a socket");
    assertThat(Files.readString(path)).isEqualTo("precious");
  }

  @Test
  void missingDirectoryIsAClearError() throws Exception {
    Throwable failure = startFailure(new ServerOptions().setPath("/tmp/no-such-dir-" + UUID.randomUUID().toString().substring(0, 6) + "/s.sock"));
    assertThat(failure).isInstanceOf(ServerStartException.class).hasMessageContaining("does not exist");
  }

  @Test
  void overlongPathIsAClearError() {
    String longPath = "/tmp/" + "x".repeat(120) + ".sock";
    assertThatThrownBy(() -> new ServerOptions().setPath(longPath)).hasMessageContaining("over the kernel's limit of 107");
    assertThatThrownBy(() -> new ServerOptions(new io.vertx.core.json.JsonObject().put("path", longPath)))
        .hasMessageContaining("over the kernel's limit of 107");
  }

  @Test
  void pathInADeepDirectoryServesEvenWithoutRoomForThePrivateDirectory() throws Exception {
    // The private bind directory would make the path longer than 107 bytes: binding falls back to in place.
    Path dir = Path.of("/tmp/" + "d".repeat(84) + UUID.randomUUID().toString().substring(0, 6));
    Path deep = dir.resolve("a.sock");
    assertThat(deep.toString()).hasSize(102);
    Files.createDirectories(dir);
    try {
      start(new ServerOptions().setPath(deep.toString()));
      try (BlockingClient c = BlockingClient.connect(deep)) {
        c.writeFrame("deep");
        assertThat(c.readFrame()).isEqualTo("echo:deep");
      }
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(deep, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-------");
    } finally {
      Files.deleteIfExists(deep);
      Files.deleteIfExists(dir);
    }
  }

  @Test
  void socketModeIsApplied() throws Exception {
    start(options().setSocketMode(0660));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-rw----");
  }

  @Test
  void defaultModeLetsOnlyTheOwnerIn() throws Exception {
    start(options());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-------");
    try (var entries = Files.list(path.getParent())) {
      assertThat(entries.filter(p -> p.getFileName().toString().startsWith(".uds-") && p.toString().contains(path.getFileName().toString()))).isEmpty();
    }
  }

  @Test
  void gracefulStopRemovesTheSocketFile() throws Exception {
    String id = start(options().setDrainTimeoutMs(200)); // a plain peer is served until the drain timeout
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("bye");
      assertThat(c.readFrame()).isEqualTo("echo:bye");
      await(vertx.undeploy(id));
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void stopLeavesASocketFileThatIsNoLongerOurs() throws Exception {
    String id = start(options());
    Files.delete(path);
    try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      other.bind(UnixDomainSocketAddress.of(path));
      await(vertx.undeploy(id));
      assertThat(path).exists();
    }
  }

  @Test
  void deploysFromJsonConfig() throws Exception {
    await(vertx.deployVerticle(ServerVerticle.class.getName(),
        new DeploymentOptions().setConfig(options().setEchoPrefix("json:").toJson())));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("x");
      assertThat(c.readFrame()).isEqualTo("json:x");
    }
  }

  @Test
  void severalInstancesShareOneSocket() throws Exception {
    start(options().setInstances(2));
    for (int i = 0; i < 4; i++) {
      try (BlockingClient c = BlockingClient.connect(path)) {
        c.writeFrame("i" + i);
        assertThat(c.readFrame()).isEqualTo("echo:i" + i);
      }
    }
  }

  @Test
  void thousandConcurrentConnectionsEachGetTheirEcho() throws Exception {
    start(options());
    List<BlockingClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        BlockingClient c = BlockingClient.connect(path);
        clients.add(c);
        c.writeFrame("c" + i);
      }
      for (int i = 0; i < 1000; i++) {
        assertThat(clients.get(i).readFrame()).isEqualTo("echo:c" + i);
      }
    } finally {
      for (BlockingClient c : clients) {
        c.close();
      }
    }
  }

  private static int myUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  @Test
  void eventBusHandlerRepliesLeaveInFrameOrderWhenHandlersAnswerOutOfOrder() throws Exception {
    // Frame i is answered after (20 - i) ms: the later frames are answered first.
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS, msg -> {
      int i = Integer.parseInt(msg.body().toString().substring(1));
      vertx.setTimer(1 + (20 - i), t -> msg.reply("r" + i));
    });
    start(options().setHandler(FrameHandler.EVENTBUS));
    try (BlockingClient c = BlockingClient.connect(path)) {
      for (int i = 0; i < 20; i++) {
        c.writeFrame("m" + i);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(c.readFrame()).isEqualTo("r" + i);
      }
    }
  }

  @Test
  void eventBusHandlerAnswersTheFramesBeforeAnOversizeOneThenCloses() throws Exception {
    // The handler answers late: the oversize header arrives while both replies are still awaited.
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS,
        msg -> vertx.setTimer(50, t -> msg.reply("ok:" + msg.body())));
    start(options().setHandler(FrameHandler.EVENTBUS).setMaxFrame(1024));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("a");
      c.writeFrame("b");
      c.writeRaw(ByteBuffer.allocate(4).putInt(1025).array());
      assertThat(c.readFrame()).isEqualTo("ok:a");
      assertThat(c.readFrame()).isEqualTo("ok:b");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void eventBusRequestCarriesConnectionAndPeerHeaders() throws Exception {
    java.util.concurrent.CompletableFuture<io.vertx.core.MultiMap> headers = new java.util.concurrent.CompletableFuture<>();
    vertx.eventBus().<Buffer>consumer("app.in", msg -> {
      headers.complete(msg.headers());
      msg.reply(new io.vertx.core.json.JsonObject().put("got", msg.body().toString()));
    });
    start(options().setHandler(FrameHandler.EVENTBUS).setInboundAddress("app.in"));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("hi");
      assertThat(c.readFrame()).isEqualTo("{\"got\":\"hi\"}");
    }
    io.vertx.core.MultiMap h = headers.get(10, TimeUnit.SECONDS);
    assertThat(h.get(InboundHeaders.CONNECTION)).matches("\\d+");
    assertThat(h.get(InboundHeaders.PATH)).isEqualTo(path.toString());
    assertThat(h.get(InboundHeaders.PEER_UID)).isEqualTo(Integer.toString(myUid()));
    if (transport != TestTransport.NIO) {
      assertThat(h.get(InboundHeaders.PEER_PID)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
  }

  @Test
  void failingOrSlowHandlerIsAnsweredWithAnErrorFrameInItsPlace() throws Exception {
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS, msg -> {
      String body = msg.body().toString();
      if (body.equals("fail")) {
        msg.fail(42, "bad input");
      } else if (!body.equals("slow")) {
        msg.reply("ok:" + body);
      } // "slow" is never answered
    });
    start(options().setHandler(FrameHandler.EVENTBUS).setRequestTimeoutMs(300));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("a");
      c.writeFrame("fail");
      c.writeFrame("slow");
      c.writeFrame("b");
      assertThat(c.readFrame()).isEqualTo("ok:a");
      assertThat(c.readFrame()).isEqualTo("error:failed: 42 bad input");
      assertThat(c.readFrame()).startsWith("error:timeout: no reply from uds.server.inbound within 300 ms");
      assertThat(c.readFrame()).isEqualTo("ok:b");
    }
  }

  @Test
  void eventBusHandlerWithNoConsumerAnswersWithAnErrorFrame() throws Exception {
    String id = start(options().setHandler(FrameHandler.EVENTBUS).setInboundAddress("nobody.home"));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("x");
      assertThat(c.readFrame()).isEqualTo("error:no handler: nothing consumes nobody.home");
    }
  }

  @Test
  void peerWhoseUidIsNotAllowedIsClosedBeforeAnyFrameIsRead() throws Exception {
    String id = start(options().setAllowUids(java.util.Set.of(myUid() + 12345)));
    try (BlockingClient c = BlockingClient.connect(path)) {
      try {
        c.writeFrame("let me in");
      } catch (IOException alreadyClosed) {
        // the server may close before our write lands: that is the behaviour under test
      }
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void peerWhoseUidIsAllowedIsServed() throws Exception {
    start(options().setAllowUids(java.util.Set.of(myUid() + 4242, myUid())));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("allowed");
      assertThat(c.readFrame()).isEqualTo("echo:allowed");
    }
  }

  @Test
  void connectionsOverMaxConnectionsAreClosedAndCounted() throws Exception {
    ServerVerticle server = new ServerVerticle(options().setMaxConnections(2));
    await(vertx.deployVerticle(server));
    try (BlockingClient a = BlockingClient.connect(path); BlockingClient b = BlockingClient.connect(path)) {
      a.writeFrame("a");
      b.writeFrame("b");
      assertThat(a.readFrame()).isEqualTo("echo:a");
      assertThat(b.readFrame()).isEqualTo("echo:b");
      try (BlockingClient third = BlockingClient.connect(path)) {
        // Our own uid: let in, as it might take the server over (DrainTest), but its message is refused.
        third.writeFrame("c");
        assertThat(third.closedByPeer()).isTrue();
      }
      assertThat(server.stats().refusedLimit()).isEqualTo(1);
    }
    // Once those two are closed, a new connection is served again.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.stats().open() == 0);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("again");
      assertThat(c.readFrame()).isEqualTo("echo:again");
    }
  }

  @Test
  void peerStalledInTheMiddleOfAHeaderIsClosedByTheIdleTimeout() throws Exception {
    ServerVerticle server = new ServerVerticle(options().setIdleTimeoutSeconds(1));
    await(vertx.deployVerticle(server));
    try (BlockingClient stalled = BlockingClient.connect(path); BlockingClient busy = BlockingClient.connect(path)) {
      stalled.writeRaw(new byte[] {0, 0});
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      // The busy peer keeps completing frames past the timeout, and is kept.
      while (System.nanoTime() < until) {
        busy.writeFrame("tick");
        assertThat(busy.readFrame()).isEqualTo("echo:tick");
      }
      assertThat(stalled.closedByPeer()).isTrue();
      busy.writeFrame("still open");
      assertThat(busy.readFrame()).isEqualTo("echo:still open");
      assertThat(server.stats().closedIdle()).isEqualTo(1);
    }
  }

  @Test
  void peerThatNeverReadsIsPausedWhileOthersAreServed() throws Exception {
    ServerVerticle server = new ServerVerticle(options().setMaxQueuedBytes(64 * 1024));
    await(vertx.deployVerticle(server));
    ByteBuffer frame = ByteBuffer.allocate(4 + 1000).putInt(1000).position(0);
    try (BlockingClient hog = BlockingClient.connect(path); BlockingClient other = BlockingClient.connect(path)) {
      hog.configureNonBlocking();
      // Write until the kernel refuses more: the server stopped reading from us since we never read.
      long written = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int refusals = 0;
      while (refusals < 50 && System.nanoTime() < deadline) {
        if (!frame.hasRemaining()) {
          frame.rewind(); // next frame; a partly written one is continued, never restarted
        }
        int n = hog.tryWrite(frame);
        written += n;
        refusals = n == 0 ? refusals + 1 : 0;
        if (n == 0) {
          Thread.sleep(10); // give the server time to drain if it still reads: it must not
        }
      }
      assertThat(refusals).as("writes to a peer that never reads must stall").isEqualTo(50);
      // Bounded: the server holds at most its queue cap plus socket buffers, far less than sent.
      assertThat(written).isLessThan(64L * 1024 * 1024);
      other.writeFrame("unaffected");
      assertThat(other.readFrame()).isEqualTo("echo:unaffected");
    }
  }

  @Test
  void peerThatStopsSendingStillGetsEveryEventBusReply() throws Exception {
    // As with: printf 'a\nb\n' | socat - UNIX-CONNECT:PATH
    org.junit.jupiter.api.Assumptions.assumeTrue(transport == TestTransport.EPOLL,
        "Netty honours half-closure on domain sockets only with epoll: NIO and io_uring close at end of input");
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS,
        msg -> vertx.setTimer(50, t -> msg.reply("late:" + msg.body())));
    start(options().setHandler(FrameHandler.EVENTBUS));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("a");
      c.writeFrame("b");
      c.shutdownOutput();
      assertThat(c.readFrame()).isEqualTo("late:a");
      assertThat(c.readFrame()).isEqualTo("late:b");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void gracefulStopWaitsForEventBusRepliesAlreadyOwed() throws Exception {
    java.util.concurrent.CompletableFuture<io.vertx.core.eventbus.Message<Buffer>> held = new java.util.concurrent.CompletableFuture<>();
    vertx.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS, held::complete);
    String id = start(options().setHandler(FrameHandler.EVENTBUS).setDrainTimeoutMs(500));
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("owed");
      io.vertx.core.eventbus.Message<Buffer> request = held.get(10, TimeUnit.SECONDS);
      Future<Void> stopped = vertx.undeploy(id);
      // The stop has begun and the reply is still owed: answer it now; it must reach the peer.
      vertx.setTimer(100, t -> request.reply("paid"));
      assertThat(c.readFrame()).isEqualTo("paid");
      assertThat(c.closedByPeer()).isTrue();
      await(stopped);
    }
  }
}
