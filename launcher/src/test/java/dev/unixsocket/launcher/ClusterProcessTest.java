package dev.unixsocket.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import dev.unixsocket.testkit.ChildProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster as a user runs it, one JVM each: {@code uds server --handler eventbus --cluster};
 * a handler verticle under the standard launcher with {@code -cluster}; a {@code ClientVerticle}
 * under the standard launcher with {@code -cluster -conf}; and the sender, a node in this JVM.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ClusterProcessTest {

  private final Path path = Path.of("/tmp/uds-p" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  private final ClusterNodes cluster = new ClusterNodes();
  private final List<ChildProcess> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    processes.forEach(ChildProcess::close);
    cluster.close();
    Files.deleteIfExists(path);
  }

  private ChildProcess start(Map<String, String> env, String... args) throws Exception {
    ChildProcess p = ChildProcess.start(env, Main.class, args);
    processes.add(p);
    return p;
  }

  @Test
  void aHandlerAndASenderInOtherJvmsTalkThroughTheServerAndTheClientProcesses() throws Exception {
    Vertx sender = cluster.start();
    Map<String, String> env = Map.of(ClusterSettings.ENV_MEMBERS, cluster.seed(), ClusterSettings.ENV_NAME, cluster.name());
    String prefix = "uds.client.p";
    Queue<String> states = new ConcurrentLinkedQueue<>();
    sender.eventBus().<JsonObject>consumer(prefix + ".status", m -> states.add(m.body().getString("state")))
        .completion().await(30, TimeUnit.SECONDS);

    // All three start at once: the client retries until the server listens.
    ChildProcess server = start(env, "server", "--path", path.toString(), "--handler", "eventbus", "--request-timeout", "3000",
        "--cluster");
    ChildProcess handler = start(env, ClusterTestHandler.class.getName(), "-cluster", "-cluster-host", "127.0.0.1");
    JsonObject clientConf = new JsonObject().put("path", path.toString())
        .put("sendAddress", prefix + ".send").put("inboundAddress", prefix + ".inbound").put("statusAddress", prefix + ".status");
    ChildProcess client = start(env, "dev.unixsocket.client.ClientVerticle", "-cluster", "-conf", clientConf.encode());
    assertThat(server.nextOut()).startsWith("listening on ").contains(path.toString());
    assertThat(handler.nextOut()).isEqualTo("handler ready");
    await().atMost(Duration.ofSeconds(180)).until(() -> states.contains("CONNECTED"));
    // The server's node learns of the handler's registration asynchronously.
    await().atMost(Duration.ofSeconds(180)).until(() -> {
      try {
        return sender.eventBus().<Buffer>request(prefix + ".send", "probe", new DeliveryOptions().setSendTimeout(5000))
            .await(10, TimeUnit.SECONDS).body().toString().equals("HANDLED:probe");
      } catch (Exception e) {
        return false;
      }
    });

    // Every reply, each to its message, in the order sent.
    List<Future<Message<Buffer>>> replies = new ArrayList<>();
    Queue<Integer> completed = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < 100; i++) {
      int index = i;
      replies.add(sender.eventBus().<Buffer>request(prefix + ".send", "m" + i).onComplete(ar -> completed.add(index)));
    }
    for (int i = 0; i < 100; i++) {
      assertThat(replies.get(i).await(60, TimeUnit.SECONDS).body().toString()).isEqualTo("HANDLED:m" + i);
    }
    assertThat(completed).containsExactlyElementsOf(IntStream.range(0, 100).boxed().toList());

    // Cluster sockets on 127.0.0.1 only, and no UDP at all (multicast would be).
    for (ChildProcess p : List.of(server, handler, client)) {
      assertThat(LoopbackSockets.of(p.pid())).as("sockets of pid %d", p.pid())
          .isNotEmpty()
          .allSatisfy(s -> {
            assertThat(s.protocol()).startsWith("tcp");
            assertThat(s.loopback()).as("%s", s).isTrue();
          });
    }
    server.awaitErr(line -> line.contains("member joined: 127.0.0.1:"));

    // The handler's JVM dies while it holds a request: one answer per frame still, in order.
    List<String> texts = List.of("a1", "hold2", "a3");
    List<Future<Message<Buffer>>> last = new ArrayList<>();
    Queue<String> order = new ConcurrentLinkedQueue<>();
    for (String text : texts) {
      last.add(sender.eventBus().<Buffer>request(prefix + ".send", text).onComplete(ar -> order.add(text)));
    }
    assertThat(handler.nextOut()).isEqualTo("holding hold2");
    handler.kill();
    last.add(sender.eventBus().<Buffer>request(prefix + ".send", "a4").onComplete(ar -> order.add("a4")));
    List<String> answers = new ArrayList<>();
    for (Future<Message<Buffer>> f : last) {
      answers.add(f.await(60, TimeUnit.SECONDS).body().toString());
    }
    System.out.println("answers after the handler's JVM was killed: " + answers);
    assertThat(order).containsExactly("a1", "hold2", "a3", "a4");
    assertThat(answers.get(0)).isEqualTo("HANDLED:a1");
    assertThat(answers.get(1)).isEqualTo("error:timeout: no reply from uds.server.inbound within 3000 ms");
    assertThat(answers.get(2)).isIn("HANDLED:a3", "error:timeout: no reply from uds.server.inbound within 3000 ms");
    assertThat(answers.get(3)).as(answers.toString()).startsWith("error:");
    server.awaitErr(line -> line.contains("member left: 127.0.0.1:"));
  }
}
