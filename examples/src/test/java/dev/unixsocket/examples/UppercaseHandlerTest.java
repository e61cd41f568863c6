package dev.unixsocket.examples;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ServerApp}: the server verticle with {@link UppercaseHandler} behind it, talked to by a plain JDK socket. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class UppercaseHandlerTest {

  private Vertx vertx;
  private Path path;

  @BeforeEach
  void setUp() {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    // Short on purpose: the kernel limit for a socket path is 107 bytes.
    path = SocketPaths.fresh();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
    Files.deleteIfExists(path);
  }

  private DeploymentOptions config(String framing) {
    return new DeploymentOptions().setConfig(new JsonObject().put("path", path.toString()).put("framing", framing));
  }

  @Test
  void answersLengthFramesInUpperCaseAndAnEmptyFrameWithAnErrorFrame(VertxTestContext ctx) {
    vertx.deployVerticle(ServerApp.class.getName(), config("length"))
        .compose(id -> vertx.executeBlocking(() -> {
          try (BlockingClient c = BlockingClient.connect(path)) {
            // Three frames at once: the replies come back one each, in order.
            c.writeFramesAtOnce(List.of("hello", "", "Grüße"));
            return new String[] {c.readFrame(), c.readFrame(), c.readFrame()};
          }
        }))
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertThat(replies).containsExactly("HELLO", "error:failed: 400 empty message", "GRÜSSE");
          ctx.completeNow();
        })));
  }

  @Test
  void answersLinesInUpperCase(VertxTestContext ctx) {
    vertx.deployVerticle(ServerApp.class.getName(), config("line"))
        .compose(id -> vertx.executeBlocking(() -> {
          try (BlockingClient c = BlockingClient.connect(path)) {
            c.writeRaw("one\r\ntwo\n".getBytes(StandardCharsets.UTF_8));
            return c.readLine() + "|" + c.readLine();
          }
        }))
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertThat(replies).isEqualTo("ONE|TWO");
          ctx.completeNow();
        })));
  }

  @Test
  void framesReadWhileTheAppStopsAreStillAnsweredByTheHandler(VertxTestContext ctx) {
    // Deployed side by side, the handler was undeployed together with the server, and the frames
    // a peer sent during the drain came back "error:no handler".
    vertx.deployVerticle(ServerApp.class.getName(), config("length"))
        .compose(id -> vertx.executeBlocking(() -> {
          try (BlockingClient c = BlockingClient.connect(path)) {
            c.writeControl(0x01, (byte) 1); // HELLO: this peer understands GOAWAY
            c.writeFrame("before");
            String before = c.readFrame();
            vertx.undeploy(id); // the server first, as the app's child; vertx.close() does the same
            int goAway = c.read().code();
            c.writeFrame("during the drain");
            String during = c.readFrame();
            c.writeControl(0x03); // DONE
            return List.of(before, String.valueOf(goAway), during, String.valueOf(c.closedByPeer()));
          }
        }))
        .onComplete(ctx.succeeding(got -> ctx.verify(() -> {
          assertThat(got).containsExactly("BEFORE", "2", "DURING THE DRAIN", "true");
          ctx.completeNow();
        })));
  }

  @Test
  void undeployingTheAppStopsTheServerAndRemovesItsSocket(VertxTestContext ctx) {
    vertx.deployVerticle(ServerApp.class.getName(), config("length"))
        .compose(id -> {
          ctx.verify(() -> assertThat(path).exists());
          return vertx.undeploy(id);
        })
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertThat(path).doesNotExist();
          ctx.completeNow();
        })));
  }
}
