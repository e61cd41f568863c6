package dev.unixsocket.server;

import dev.unixsocket.testkit.BlockingClient;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<java.util.concurrent.Future<List<String>>> results = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        int client = k;
        results.add(pool.submit(() -> {
          try (BlockingClient c = BlockingClient.connect(path)) {
            // Written in bursts of 50 while replies stream back: reads of many lengths.
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < frames; i++) {
              c.writeFrame("c" + client + "-" + i);
              if (i % 50 == 49) {
                for (int j = 0; j < 50; j++) {
                  replies.add(c.readFrame());
                }
              }
            }
            return replies;
          }
        }));
      }
      for (int k = 0; k < clients; k++) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
          expected.add("r:c" + k + "-" + i);
        }
        assertThat(results.get(k).get(30, TimeUnit.SECONDS)).containsExactlyElementsOf(expected);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(handler.threads).containsExactly("vert.x-eventloop-thread-0");
  }
}
