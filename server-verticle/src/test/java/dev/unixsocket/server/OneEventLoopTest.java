package dev.unixsocket.server;

import dev.unixsocket.testkit.ConcurrentPeers;
import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event-bus handler on the same event loop as the connections (what {@code uds server} sets
 * up by default): every request is delivered, and every reply arrives, on the thread that is still
 * reading the peer's frames. Replies must still leave once each and in order, a request per frame
 * and in batches alike.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OneEventLoopTest {

  private final Path path = SocketPaths.fresh();
  private Vertx vertx;

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      ServerContractTest.await(vertx.close());
    }
    Files.deleteIfExists(path);
  }

  /** Replies at once with "r:" + each frame, and notes the threads it ran on. */
  static final class ImmediateReplies extends VerticleBase {
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer(ServerOptions.DEFAULT_INBOUND_ADDRESS, m -> {
        threads.add(Thread.currentThread().getName());
        if (m.body() instanceof JsonArray frames) {
          JsonArray replies = new JsonArray();
          for (Object f : frames.getList()) {
            replies.add("r:" + f);
          }
          m.reply(replies);
        } else {
          m.reply("r:" + m.body());
        }
      }).completion();
    }
  }

  @ParameterizedTest(name = "handlerBatch {0}")
  @ValueSource(ints = {1, 8})
  void repliesLeaveInOrderWhenTheHandlerSharesTheConnectionsThread(int batch) throws Exception {
    vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).withTransport(Transport.EPOLL).build();
    ImmediateReplies handler = new ImmediateReplies();
    ServerContractTest.await(vertx.deployVerticle(handler));
    ServerContractTest.await(vertx.deployVerticle(new ServerVerticle(new ServerOptions()
        .setPath(path.toString()).setHandler(FrameHandler.EVENTBUS).setHandlerBatch(batch))));
    int clients = 3;
    int frames = 2000;
    // In bursts of 50 while earlier replies stream back: reads of many lengths.
    List<List<String>> replies = ConcurrentPeers.exchange(path, clients, frames, 50);
    for (int k = 0; k < clients; k++) {
      assertThat(replies.get(k)).containsExactlyElementsOf(ConcurrentPeers.expected("r:", k, frames));
    }
    assertThat(handler.threads).containsExactly("vert.x-eventloop-thread-0");
  }
}
