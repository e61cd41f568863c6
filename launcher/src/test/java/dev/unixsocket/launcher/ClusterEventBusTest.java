package dev.unixsocket.launcher;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Handlers and senders on other nodes of a clustered event bus (several Hazelcast members in this JVM, on loopback). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterEventBusTest {

  private final Path path = Path.of("/tmp/uds-c" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  private final ClusterNodes cluster = new ClusterNodes();

  @AfterEach
  void tearDown() throws Exception {
    cluster.close();
    Files.deleteIfExists(path);
  }

  private void deployServer(Vertx node, FrameHandler handler, long requestTimeoutMs) throws Exception {
    node.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path.toString()).setHandler(handler)
        .setRequestTimeoutMs(requestTimeoutMs))).await(60, TimeUnit.SECONDS);
  }

  /** Waits until {@code from} reaches a consumer of the address on another node (registrations spread asynchronously). */
  private static void awaitReachable(Vertx from, String address, Object probe) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try {
        from.eventBus().request(address, probe, new DeliveryOptions().setSendTimeout(2000)).await(5, TimeUnit.SECONDS);
        return true;
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void aHandlerOnAnotherNodeAnswersSocketFramesInOrder() throws Exception {
    Vertx server = cluster.start();
    Vertx handler = cluster.start();
    // Replies come back in a shuffled order: the server must still write them in frame order.
    handler.eventBus().<Buffer>consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS,
        m -> handler.setTimer(1 + ThreadLocalRandom.current().nextInt(20), t -> m.reply("re:" + m.body())))
        .completion().await(30, TimeUnit.SECONDS);
    deployServer(server, FrameHandler.EVENTBUS, 30_000);
    awaitReachable(server, ServerOptions.DEFAULT_INBOUND_ADDRESS, Buffer.buffer("probe"));

    try (FrameSocket socket = new FrameSocket(path)) {
      for (int i = 0; i < 200; i++) {
        socket.write("m" + i);
      }
      for (int i = 0; i < 200; i++) {
        assertThat(socket.read()).isEqualTo("re:m" + i);
      }
    }
  }

  @Test
  void aSenderOnAnotherNodeGetsEveryReplyThroughTheClientVerticle() throws Exception {
    Vertx local = cluster.start();
    Vertx sender = cluster.start();
    deployServer(local, FrameHandler.ECHO, 30_000);
    ClientOptions client = new ClientOptions().setPath(path.toString())
        .setSendAddress("uds.client.a.send").setInboundAddress("uds.client.a.inbound").setStatusAddress("uds.client.a.status");
    local.deployVerticle(new ClientVerticle(client)).await(60, TimeUnit.SECONDS);
    awaitReachable(sender, client.getSendAddress(), "probe");

    // request: every reply, each to its message, completing in the order sent
    int n = 500;
    Queue<Integer> completed = new ConcurrentLinkedQueue<>();
    List<Future<Message<Buffer>>> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      replies.add(sender.eventBus().<Buffer>request(client.getSendAddress(), "m" + i)
          .onSuccess(r -> completed.add(index)));
    }
    for (int i = 0; i < n; i++) {
      assertThat(replies.get(i).await(30, TimeUnit.SECONDS).body().toString()).isEqualTo("echo:m" + i);
    }
    assertThat(completed).containsExactlyElementsOf(java.util.stream.IntStream.range(0, n).boxed().toList());

    // batch: a JsonArray of strings; the reply's Buffers arrive as base64 text, which getBuffer reads back
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 50; i++) {
      batch.add("b" + i);
    }
    JsonArray batchReply = sender.eventBus().<JsonArray>request(client.getSendAddress(), batch).await(30, TimeUnit.SECONDS).body();
    assertThat(batchReply.size()).isEqualTo(50);
    for (int i = 0; i < 50; i++) {
      assertThat(batchReply.getBuffer(i).toString()).isEqualTo("echo:b" + i);
    }

    // send: the replies are published on the inbound address, which reaches the other node too
    Queue<String> inbound = new ConcurrentLinkedQueue<>();
    sender.eventBus().<Object>consumer(client.getInboundAddress(), m -> {
      if ("probe".equals(m.body())) {
        m.reply("here");
      } else {
        inbound.add(m.headers().get(ClientVerticle.ORIGIN_HEADER) + " " + m.body());
      }
    }).completion().await(30, TimeUnit.SECONDS);
    awaitReachable(local, client.getInboundAddress(), "probe");
    for (int i = 0; i < 20; i++) {
      sender.eventBus().send(client.getSendAddress(), "s" + i);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> inbound.size() >= 20);
    assertThat(inbound).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20).mapToObj(i -> "send echo:s" + i).toList());
  }

  @Test
  void withTlsOnlyNodesTrustedByTheTrustStoreExchangeMessages(@TempDir Path dir) throws Exception {
    Path trusted = TestKeyStores.create(dir, "trusted", "secret");
    Path rogue = TestKeyStores.create(dir, "rogue", "secret");
    Vertx a = cluster.start(s -> s.setTls(trusted.toString(), null, "secret"));
    Vertx b = cluster.start(s -> s.setTls(trusted.toString(), null, "secret"));
    Vertx stranger = cluster.start(s -> s.setTls(rogue.toString(), null, "secret"));
    Queue<String> received = new ConcurrentLinkedQueue<>();
    a.eventBus().<String>consumer("secure", m -> {
      received.add(m.body());
      m.reply("ok:" + m.body());
    }).completion().await(30, TimeUnit.SECONDS);
    awaitReachable(b, "secure", "probe");
    assertThat(b.eventBus().<String>request("secure", "hi").await(30, TimeUnit.SECONDS).body()).isEqualTo("ok:hi");

    // The stranger is a Hazelcast member and sees the registration, but its certificate is not trusted.
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(3000);
    for (int i = 0; i < 3; i++) {
      int n = i;
      assertThatThrownBy(() -> stranger.eventBus().request("secure", "forged" + n, quick).await(30, TimeUnit.SECONDS))
          .isInstanceOf(ReplyException.class);
    }
    assertThat(received).doesNotContain("forged0", "forged1", "forged2");
  }

  @Test
  void aHandlerNodeThatLeavesMidStreamStillLeavesOneAnswerPerFrameInOrder() throws Exception {
    Vertx server = cluster.start();
    Vertx leaving = cluster.start();
    Vertx staying = cluster.start();
    String address = ServerOptions.DEFAULT_INBOUND_ADDRESS;
    // The leaving node answers its first frames, then holds the others as if still working on them.
    CountDownLatch holding = new CountDownLatch(3);
    java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    int[] seen = {0};
    leaving.eventBus().<Buffer>consumer(address, m -> {
      if (m.body().toString().equals("probe")) {
        m.reply("leaving");
      } else if (++seen[0] <= 5) {
        m.reply("leaving:" + m.body());
      } else {
        held.add(m.body().toString());
        holding.countDown();
      }
    }).completion().await(30, TimeUnit.SECONDS);
    staying.eventBus().<Buffer>consumer(address, m -> m.reply(m.body().toString().equals("probe") ? "staying" : "staying:" + m.body()))
        .completion().await(30, TimeUnit.SECONDS);
    deployServer(server, FrameHandler.EVENTBUS, 3_000);
    // Registrations spread asynchronously: go on once the server's node has reached both handlers.
    java.util.Set<String> reached = java.util.concurrent.ConcurrentHashMap.newKeySet();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      server.eventBus().<Object>request(address, Buffer.buffer("probe"), new DeliveryOptions().setSendTimeout(2000))
          .onSuccess(r -> reached.add(String.valueOf(r.body())));
      return reached.size() == 2;
    });

    try (FrameSocket socket = new FrameSocket(path)) {
      int n = 80;
      for (int i = 0; i < n / 2; i++) {
        socket.write("m" + i);
      }
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
      leaving.close().await(30, TimeUnit.SECONDS);
      for (int i = n / 2; i < n; i++) {
        socket.write("m" + i);
      }
      // One answer per frame, in order: a reply to that very frame, or an error frame in its place.
      int fromLeaving = 0;
      for (int i = 0; i < n; i++) {
        String reply = socket.read();
        if (held.contains("m" + i)) {
          // Vert.x does not fail a request to a node that left: it times out.
          assertThat(reply).isEqualTo("error:timeout: no reply from " + address + " within 3000 ms");
        } else if (!reply.startsWith("error:")) {
          assertThat(reply).isIn("leaving:m" + i, "staying:m" + i);
          if (reply.startsWith("leaving:")) {
            fromLeaving++;
          }
        }
      }
      assertThat(held).hasSizeGreaterThanOrEqualTo(3);
      assertThat(fromLeaving).isLessThanOrEqualTo(5);
    }
  }
}
