package dev.unixsocket.client;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10 with the client verticle: a steady stream of requests while the server stops
 * gracefully and starts again, and while a new server takes the path over, ends with every
 * request answered once, in order, none failed. The server drains (GOAWAY, DONE), the client
 * holds later messages for the next connection and sends again only what was never read.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulRestartTest extends ClientTestBase {

  private static final int MESSAGES = 3000;

  @Test
  void streamThroughTwoGracefulRestartsAndATakeoverIsAnsweredExactlyOnceInOrder() throws Exception {
    String server = startServer();
    deployClient(new ClientVerticle(options()));
    List<Future<String>> replies = new ArrayList<>();
    AtomicInteger sent = new AtomicInteger();
    // Five requests a millisecond from the driver, as a steady stream would come.
    driver.runOnContext(v -> vertx.setPeriodic(1, id -> {
      for (int k = 0; k < 5 && sent.get() < MESSAGES; k++) {
        synchronized (replies) {
          replies.add(request("m-" + sent.getAndIncrement()));
        }
      }
      if (sent.get() >= MESSAGES) {
        vertx.cancelTimer(id);
      }
    }));
    for (int restart = 0; restart < 2; restart++) {
      awaitAnswered(replies, (restart + 1) * MESSAGES / 4);
      stopServer(server); // graceful: drains
      server = startServer();
    }
    awaitAnswered(replies, 3 * MESSAGES / 4);
    Vertx newer = Vertx.builder().withTransport(Transport.EPOLL).build();
    try {
      get(newer.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path.toString()).setReplace(true))));
      String old = server;
      await().atMost(WAIT).until(() -> !vertx.deploymentIDs().contains(old)); // drained and undeployed itself
      await().atMost(WAIT).until(() -> sent.get() == MESSAGES);
      for (int i = 0; i < MESSAGES; i++) {
        Future<String> reply;
        synchronized (replies) {
          reply = replies.get(i);
        }
        assertThat(get(reply)).isEqualTo("echo:m-" + i);
      }
    } finally {
      get(newer.close());
    }
    assertThat(events).noneMatch(e -> e.startsWith("failure:"));
    assertThat(events.stream().filter(e -> e.startsWith("reply:")).toList())
        .as("every reply once, in order").hasSize(MESSAGES)
        .isEqualTo(java.util.stream.IntStream.range(0, MESSAGES).mapToObj(i -> "reply:echo:m-" + i).toList());
    assertThat(states()).filteredOn("CONNECTED"::equals).hasSizeGreaterThanOrEqualTo(4);
  }

  private static void awaitAnswered(List<Future<String>> replies, int n) {
    await().atMost(WAIT).until(() -> {
      synchronized (replies) {
        return replies.size() >= n && replies.get(n - 1).isComplete();
      }
    });
  }
}
