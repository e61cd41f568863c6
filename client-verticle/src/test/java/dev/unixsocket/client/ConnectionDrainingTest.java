package dev.unixsocket.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A draining connection (the seam a server's GOAWAY will use): it writes no more queued frames,
 * the queue keeps filling, and the next connection takes them, in order.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectionDrainingTest extends ClientTestBase {

  @Test
  void drainingConnectionLeavesNewMessagesQueued_theNextConnectionSendsThemInOrder() throws Exception {
    String server = startServer();
    ClientVerticle client = new ClientVerticle(options());
    deployClient(client);
    assertThat(get(request("before"))).isEqualTo("echo:before");

    Promise<Void> draining = Promise.promise();
    client.contextForTest().runOnContext(v -> {
      client.connectionForTest().startDraining();
      draining.complete();
    });
    get(draining.future());
    Future<String> first = request("held-1");
    Future<String> second = request("held-2");
    await().atMost(WAIT).until(() -> client.queuedCount() == 2);
    assertThat(client.inFlightCount()).isZero();
    assertThat(first.isComplete() || second.isComplete()).isFalse();
    assertThat(states()).last().isEqualTo("CONNECTED");

    stopServer(server);
    startServer();
    assertThat(get(first)).isEqualTo("echo:held-1");
    assertThat(get(second)).isEqualTo("echo:held-2");
    assertThat(events).filteredOn(e -> e.startsWith("reply:"))
        .containsExactly("reply:echo:before", "reply:echo:held-1", "reply:echo:held-2");
  }
}
