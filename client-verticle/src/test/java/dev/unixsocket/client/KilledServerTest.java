package dev.unixsocket.client;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.ChildServer;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server process killed (SIGKILL, no graceful stop) with thousands of requests in flight.
 * The server runs in a child JVM ({@link ChildServer}) so that the kill is real: the kernel
 * closes its sockets and the stale socket file stays behind. To have requests truly in flight at
 * the kill, some tests freeze the server first (SIGSTOP): it then reads and answers nothing, so
 * every request written afterwards is unanswered when it dies.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KilledServerTest extends ClientTestBase {

  private final List<ChildProcess> children = new ArrayList<>();

  @AfterEach
  void killChildren() throws Exception {
    children.forEach(ChildProcess::close);
  }

  @Test
  void killedWithThousandsInFlight_eachFailsWithConnectionLost_andRequestsMadeWhileDownAreAnsweredAfterRestart() throws Exception {
    ChildProcess server = startChildServer();
    ClientVerticle client = new ClientVerticle(options().setQueueCapacity(100_000));
    deployClient(client);
    assertThat(get(request("warm-up"))).isEqualTo("echo:warm-up");

    server.signal("STOP");
    List<Future<String>> inFlight = requests("f", 3_000);
    await().atMost(WAIT).until(() -> client.inFlightCount() == 3_000);
    server.kill();
    for (Future<String> f : inFlight) {
      assertThat(failure(f, ClientFailure.CONNECTION_LOST).getMessage()).startsWith("connection lost; delivery unknown");
    }

    awaitStatus(ConnectionState.DISCONNECTED, 1);
    List<Future<String>> held = requests("h", 500);
    await().atMost(WAIT).until(() -> client.queuedCount() == 500);
    startServer(); // in-process this time, on the path the dead server left its socket file at
    assertAnsweredInOrder(held, "h");
  }

  @Test
  void killedWithThousandsInFlight_withResend_everyOneIsAnsweredAfterRestart_beforeNewerOnes() throws Exception {
    ChildProcess server = startChildServer();
    ClientVerticle client = new ClientVerticle(options().setQueueCapacity(100_000).setInFlightOnLoss(InFlightOnLoss.RESEND));
    deployClient(client);
    assertThat(get(request("warm-up"))).isEqualTo("echo:warm-up");

    server.signal("STOP");
    List<Future<String>> inFlight = requests("r", 3_000);
    await().atMost(WAIT).until(() -> client.inFlightCount() == 3_000);
    server.kill();
    await().atMost(WAIT).until(() -> client.queuedCount() == 3_000);
    List<Future<String>> newer = requests("n", 100);

    startServer();
    assertAnsweredInOrder(inFlight, "r");
    assertAnsweredInOrder(newer, "n");
    List<String> replies = events.stream().filter(e -> e.startsWith("reply:echo:r") || e.startsWith("reply:echo:n")).toList();
    assertThat(replies.get(2_999)).isEqualTo("reply:echo:r2999");
    assertThat(replies.get(3_000)).isEqualTo("reply:echo:n0");
  }

  @Test
  void killedMidStream_everyRequestEndsInExactlyOneMatchingReplyOrConnectionLost() throws Exception {
    ChildProcess server = startChildServer();
    deployClient(new ClientVerticle(options().setQueueCapacity(100_000)));
    assertThat(get(request("warm-up"))).isEqualTo("echo:warm-up");

    AtomicInteger outcomes = new AtomicInteger();
    AtomicInteger replies = new AtomicInteger();
    List<Future<String>> all = requests("s", 5_000);
    all.forEach(f -> f.onComplete(ar -> {
      outcomes.incrementAndGet();
      if (ar.succeeded()) {
        replies.incrementAndGet();
      }
    }));
    await().atMost(WAIT).until(() -> replies.get() > 0);
    server.kill();
    startServer();
    for (int i = 0; i < all.size(); i++) {
      Future<String> f = all.get(i);
      Throwable cause = get(f.transform(ar -> Future.succeededFuture(ar.cause())));
      if (cause == null) {
        assertThat(f.result()).isEqualTo("echo:s" + i); // matched to its own request, not a neighbour's
      } else {
        failure(f, ClientFailure.CONNECTION_LOST);
      }
    }
    assertThat(outcomes.get()).isEqualTo(5_000);
  }

  private List<Future<String>> requests(String prefix, int n) {
    List<Future<String>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      futures.add(request(prefix + i));
    }
    return futures;
  }

  private static void assertAnsweredInOrder(List<Future<String>> futures, String prefix) throws Exception {
    for (int i = 0; i < futures.size(); i++) {
      assertThat(get(futures.get(i))).isEqualTo("echo:" + prefix + i);
    }
  }

  /** Starts {@link ChildServer} on this test's path and waits for its "listening" line. */
  private ChildProcess startChildServer() throws Exception {
    ChildProcess p = ChildServer.start(path);
    children.add(p);
    return p;
  }

}
