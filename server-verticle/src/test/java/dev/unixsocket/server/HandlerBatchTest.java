package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.ConcurrentPeers;
import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code handlerBatch} > 1: the frames of a read go to the handler as one request whose body is a
 * JsonArray, and its JsonArray reply answers them, on real sockets (epoll; the forwarding path
 * is the same on every transport).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerBatchTest {

  private static final String IN = ServerOptions.DEFAULT_INBOUND_ADDRESS;

  private Vertx vertx;
  private Path path;

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    path = SocketPaths.fresh();
  }

  @AfterEach
  void tearDown() throws Exception {
    ServerContractTest.await(vertx.close());
    Files.deleteIfExists(path);
  }

  private String start(int batch) throws Exception {
    return ServerContractTest.await(vertx.deployVerticle(new ServerVerticle(new ServerOptions()
        .setPath(path.toString()).setHandler(FrameHandler.EVENTBUS).setHandlerBatch(batch).setRequestTimeoutMs(500))));
  }

  /** The batch's frames as text, read from the raw list (getValue would give base64 for a Buffer). */
  private static List<String> texts(Message<Object> msg) {
    List<String> texts = new ArrayList<>();
    for (Object o : ((JsonArray) msg.body()).getList()) {
      texts.add(((Buffer) o).toString());
    }
    return texts;
  }

  @Test
  void batchesKeepFrameOrderAcrossBatchesAndConnections() throws Exception {
    // Every batch is answered after a random delay: later batches often overtake earlier ones.
    List<List<String>> seen = new CopyOnWriteArrayList<>();
    Map<String, java.util.Set<String>> connectionsOf = new java.util.concurrent.ConcurrentHashMap<>();
    Random random = new Random(7);
    vertx.eventBus().<Object>consumer(IN, msg -> {
      List<String> frames = texts(msg);
      seen.add(frames);
      for (String f : frames) {
        // Frames "cK-i" come from client K: one batch never mixes connections.
        connectionsOf.computeIfAbsent(f.substring(0, f.indexOf('-')), k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
            .add(msg.headers().get(InboundHeaders.CONNECTION));
      }
      JsonArray reply = new JsonArray();
      frames.forEach(f -> reply.add("r:" + f));
      vertx.setTimer(1 + random.nextInt(15), t -> msg.reply(reply));
    });
    start(8);
    int clients = 4;
    int frames = 300;
    // Written a frame at a time, all before the first reply is read: the server reads them in runs of various lengths.
    List<List<String>> replies = ConcurrentPeers.exchange(path, clients, frames, frames);
    for (int k = 0; k < clients; k++) {
      assertThat(replies.get(k)).containsExactlyElementsOf(ConcurrentPeers.expected("r:", k, frames));
    }
    assertThat(seen).allSatisfy(batch -> assertThat(batch).hasSizeBetween(1, 8));
    assertThat(seen.stream().mapToInt(List::size).sum()).isEqualTo(clients * frames);
    assertThat(seen).anySatisfy(batch -> assertThat(batch).hasSizeGreaterThan(1));
    // Each client's frames came with one connection header, a different one for each client.
    assertThat(connectionsOf).hasSize(clients).allSatisfy((client, ids) -> assertThat(ids).hasSize(1));
    assertThat(connectionsOf.values().stream().flatMap(java.util.Set::stream).distinct()).hasSize(clients);
  }

  @Test
  void aBadBatchReplyIsAnsweredWithErrorFramesForThatBatchOnlyInOrder() throws Exception {
    // A batch whose first frame names a misbehaviour gets it; every other batch is upper-cased.
    List<List<String>> seen = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Object>consumer(IN, msg -> {
      List<String> frames = texts(msg);
      seen.add(frames);
      JsonArray good = new JsonArray();
      frames.forEach(f -> good.add(Buffer.buffer(f.toUpperCase())));
      switch (frames.get(0)) {
        case "short":
          good.remove(good.size() - 1);
          msg.reply(good);
          break;
        case "type":
          msg.reply(new JsonArray(new ArrayList<>(good.getList())).set(frames.size() - 1, 42));
          break;
        case "single":
          msg.reply("one reply for many");
          break;
        case "fail":
          msg.fail(7, "nope");
          break;
        case "slow":
          break; // never answered: the request timeout (500 ms) answers the batch
        default:
          msg.reply(good);
      }
    });
    start(3);
    try (BlockingClient c = BlockingClient.connect(path)) {
      // Three frames a batch (handlerBatch 3), all in one write: good, bad, good, bad, ...
      String[] frames = {
          "a", "b", "c",
          "short", "x", "y",
          "d", "e", "f",
          "type", "x", "y",
          "g", "h", "i",
          "single", "x", "y",
          "fail", "x", "y",
          "slow", "x", "y",
          "j", "k", "l"};
      c.writeFramesAtOnce(List.of(frames));
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < frames.length; i++) {
        replies.add(c.readFrame());
      }
      // The expected replies follow the batches the handler saw, whatever the reads were.
      Map<String, String> errorFor = new HashMap<>();
      errorFor.put("short", "error:bad batch reply: 2 replies for a batch of 3 frames");
      errorFor.put("type", "error:bad batch reply: element 2 is a java.lang.Integer; elements must be Buffer, String or JsonObject");
      errorFor.put("single", "error:bad batch reply: a java.lang.String where a JsonArray of 3 replies was due");
      errorFor.put("fail", "error:failed: 7 nope");
      errorFor.put("slow", "error:timeout: no reply from " + IN + " within 500 ms");
      List<String> expected = new ArrayList<>();
      for (List<String> batch : seen) {
        String error = errorFor.get(batch.get(0));
        for (String f : batch) {
          expected.add(error != null ? error : f.toUpperCase());
        }
      }
      assertThat(replies).containsExactlyElementsOf(expected);
      assertThat(seen).extracting(b -> b.get(0))
          .containsExactly("a", "short", "d", "type", "g", "single", "fail", "slow", "j");
    }
  }

  @Test
  void batchRepliesMayBeBuffersStringsOrJsonObjects() throws Exception {
    vertx.eventBus().<Object>consumer(IN, msg -> {
      List<String> frames = texts(msg);
      JsonArray reply = new JsonArray();
      for (int i = 0; i < frames.size(); i++) {
        String f = frames.get(i);
        reply.add(i % 3 == 0 ? Buffer.buffer("b:" + f) : i % 3 == 1 ? "s:" + f : new JsonObject().put("j", f));
      }
      msg.reply(reply);
    });
    start(16);
    try (BlockingClient c = BlockingClient.connect(path)) {
      // One write, so that one read holds all three and they go as one batch.
      c.writeFramesAtOnce(List.of("p", "q", "r"));
      assertThat(List.of(c.readFrame(), c.readFrame(), c.readFrame())).containsExactly("b:p", "s:q", "{\"j\":\"r\"}");
    }
  }

  @Test
  void batchRequestsCarryTheConnectionAndPeerHeaders() throws Exception {
    CompletableFuture<MultiMap> headers = new CompletableFuture<>();
    vertx.eventBus().<Object>consumer(IN, msg -> {
      headers.complete(msg.headers());
      msg.reply(new JsonArray().add("ok"));
    });
    start(4);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("x");
      assertThat(c.readFrame()).isEqualTo("ok");
    }
    MultiMap h = headers.get(10, TimeUnit.SECONDS);
    assertThat(h.get(InboundHeaders.CONNECTION)).matches("\\d+");
    assertThat(h.get(InboundHeaders.PATH)).isEqualTo(path.toString());
    assertThat(h.get(InboundHeaders.PEER_PID)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
  }

  @Test
  void gracefulStopWaitsForEveryFrameOfABatchOwed() throws Exception {
    CompletableFuture<Message<Object>> held = new CompletableFuture<>();
    vertx.eventBus().<Object>consumer(IN, held::complete);
    String id = start(8);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFramesAtOnce(List.of("a", "b", "c"));
      Message<Object> request = held.get(10, TimeUnit.SECONDS);
      List<String> frames = texts(request);
      Future<Void> stopped = vertx.undeploy(id);
      // The stop has begun and the batch is still owed: answer it now; all of it must reach the peer.
      vertx.setTimer(100, t -> {
        JsonArray reply = new JsonArray();
        frames.forEach(f -> reply.add("paid:" + f));
        request.reply(reply);
      });
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < frames.size(); i++) {
        replies.add(c.readFrame());
      }
      assertThat(replies).containsExactly("paid:a", "paid:b", "paid:c");
      assertThat(c.closedByPeer()).isTrue();
      ServerContractTest.await(stopped);
    }
  }

  @Test
  void headersAddedByAnOutboundInterceptorStayWithTheirOwnRequest() throws Exception {
    // The server shares one set of headers among a connection's requests until it sees them changed.
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    vertx.eventBus().addOutboundInterceptor(dc -> {
      if (IN.equals(dc.message().address())) {
        dc.message().headers().add("trace", Integer.toString(sent.incrementAndGet()));
      }
      dc.next();
    });
    vertx.eventBus().<Object>consumer(IN, msg -> msg.reply(String.join(",", msg.headers().getAll("trace"))
        + "|" + msg.headers().get(InboundHeaders.CONNECTION)));
    start(1);
    try (BlockingClient c = BlockingClient.connect(path)) {
      for (int i = 1; i <= 5; i++) {
        c.writeFrame("x");
        assertThat(c.readFrame()).matches(i + "\\|\\d+");
      }
    }
  }

  @Test
  void aRequestBodyIsTheHandlersToChange() throws Exception {
    // Handed over without Vert.x's copy: still a growable Buffer of the handler's own, empty ones included.
    vertx.eventBus().<Object>consumer(IN, msg -> {
      if (msg.body() instanceof JsonArray) {
        List<?> frames = ((JsonArray) msg.body()).getList();
        frames.forEach(f -> ((Buffer) f).appendString("!"));
        msg.reply(msg.body());
      } else {
        msg.reply(((Buffer) msg.body()).appendString("?"));
      }
    });
    start(1);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("");
      c.writeFrame("a");
      assertThat(List.of(c.readFrame(), c.readFrame())).containsExactly("?", "a?");
    }
    ServerContractTest.await(vertx.undeploy(vertx.deploymentIDs().iterator().next()));
    start(4);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFramesAtOnce(List.of("", "b"));
      assertThat(List.of(c.readFrame(), c.readFrame())).containsExactly("!", "b!");
    }
  }

  @Test
  void aReplyWithTheHandOverOptionsReachesTheServerUncopied() throws Exception {
    // What the server receives as the reply body (inbound interceptors see the delivered message).
    List<Object> received = new CopyOnWriteArrayList<>();
    vertx.eventBus().addInboundInterceptor(dc -> {
      if (!IN.equals(dc.message().address())) {
        received.add(dc.body());
      }
      dc.next();
    });
    List<Object> sent = new CopyOnWriteArrayList<>();
    DeliveryOptions handOver = HandOverCodec.replyOptions(vertx);
    DeliveryOptions plain = new DeliveryOptions();
    vertx.eventBus().<Object>consumer(IN, msg -> {
      JsonArray frames = (JsonArray) msg.body();
      sent.add(frames);
      // The first batch's reply handed over, the second one's copied by Vert.x as usual.
      msg.reply(frames, sent.size() == 1 ? handOver : plain);
    });
    start(4);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFramesAtOnce(List.of("a", "b"));
      assertThat(List.of(c.readFrame(), c.readFrame())).containsExactly("a", "b");
      c.writeFramesAtOnce(List.of("c", "d"));
      assertThat(List.of(c.readFrame(), c.readFrame())).containsExactly("c", "d");
    }
    assertThat(handOver.getCodecName()).isEqualTo(HandOverCodec.NAME);
    assertThat(received).hasSize(2);
    assertThat(received.get(0)).isSameAs(sent.get(0));
    assertThat(received.get(1)).isNotSameAs(sent.get(1)).isEqualTo(sent.get(1));
  }

  @Test
  void handlerBatchIsCheckedAndTravelsAsJson() {
    assertThatThrownBy(() -> new ServerOptions().setHandlerBatch(0))
        .hasMessage("handlerBatch must be between 1 and 65536, was 0");
    assertThatThrownBy(() -> new ServerOptions().setHandlerBatch(65_537))
        .hasMessage("handlerBatch must be between 1 and 65536, was 65537");
    assertThat(new ServerOptions().getHandlerBatch()).isEqualTo(1);
    ServerOptions options = new ServerOptions().setHandlerBatch(64);
    assertThat(options.toJson().getInteger("handlerBatch")).isEqualTo(64);
    assertThat(new ServerOptions(options.toJson()).getHandlerBatch()).isEqualTo(64);
    assertThat(new ServerOptions(options).getHandlerBatch()).isEqualTo(64);
  }
}
