package dev.unixsocket.examples;

import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole chain in one Vert.x instance: {@link TickSender} → client verticle → Unix socket →
 * server verticle → {@link UppercaseHandler}, and the replies back.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class TickSenderTest {

  private Vertx vertx;
  private Path path;

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    path = SocketPaths.fresh();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
    Files.deleteIfExists(path);
  }

  private DeploymentOptions config(JsonObject extra) {
    return new DeploymentOptions().setConfig(new JsonObject().put("path", path.toString()).mergeIn(extra));
  }

  @Test
  void everyTickGetsItsUppercasedReplyThroughBothVerticles(VertxTestContext ctx) {
    Checkpoint done = ctx.checkpoint();
    Checkpoint direct = ctx.checkpoint();
    vertx.eventBus().<JsonObject>consumer(TickSender.DEFAULT_DONE_ADDRESS, m -> ctx.verify(() -> {
      assertThat(m.body().getInteger("sent")).isEqualTo(5);
      assertThat(m.body().getInteger("replied")).isEqualTo(5);
      assertThat(m.body().getInteger("failed")).isZero();
      assertThat(m.body().getString("lastReply")).isEqualTo("BEEP 5");
      done.flag();
    }));
    vertx.deployVerticle(ServerApp.class.getName(), config(new JsonObject()))
        .compose(id -> vertx.deployVerticle(ClientApp.class.getName(),
            config(new JsonObject().put("count", 5).put("intervalMs", 20).put("text", "beep"))))
        // Any other verticle can use the same client meanwhile: its reply is its own.
        .compose(id -> vertx.eventBus().<Buffer>request("uds.client.send", "direct"))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          assertThat(reply.body().toString()).isEqualTo("DIRECT");
          direct.flag();
        })));
  }

  @Test
  void ticksSentBeforeTheServerIsUpWaitAndAreAnswered(VertxTestContext ctx) {
    // The client side alone first: its messages wait in the client's queue until the server comes.
    vertx.eventBus().<JsonObject>consumer(TickSender.DEFAULT_DONE_ADDRESS, m -> ctx.verify(() -> {
      assertThat(m.body().getInteger("replied")).isEqualTo(3);
      assertThat(m.body().getInteger("failed")).isZero();
      ctx.completeNow();
    }));
    vertx.deployVerticle(ClientApp.class.getName(),
            config(new JsonObject().put("count", 3).put("intervalMs", 10).put("reconnectInitialDelayMs", 50)))
        .compose(id -> {
          Vertx v = vertx;
          return v.timer(300).compose(t -> v.deployVerticle(ServerApp.class.getName(), config(new JsonObject())));
        })
        .onComplete(ctx.succeeding(id -> { }));
  }
}
