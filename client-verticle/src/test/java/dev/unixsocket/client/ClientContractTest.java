package dev.unixsocket.client;

import dev.unixsocket.testkit.FaultyServers;
import dev.unixsocket.testkit.TestTransport;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client's behaviour against real servers on real sockets, written once and run on every
 * transport: epoll, NIO and io_uring, each skipped with the reason where it is unavailable.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestTransport.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientContractTest extends ClientTestBase {

  @Parameter
  TestTransport testTransport;

  @Override
  Transport transport() {
    return testTransport.transport();
  }

  @Test
  void originalScenario_requestHeldAcrossServerRestartIsAnsweredAfterHello_inOrder() throws Exception {
    // Start the server, then the client, which says hello on connecting.
    String server = startServer();
    ClientVerticle client = new ClientVerticle(options().setHello("hello world"));
    deployClient(client);
    assertThat(get(request("first"))).isEqualTo("echo:first");
    awaitInbound(1);
    assertThat(inbound.get(0).body().toString()).isEqualTo("echo:hello world");
    assertThat(inbound.get(0).headers().get(ClientVerticle.ORIGIN_HEADER)).isEqualTo(ClientVerticle.ORIGIN_HELLO);

    // Stop the server: the client notices, and a request made now waits in the queue.
    stopServer(server);
    awaitStatus(ConnectionState.DISCONNECTED, 1);
    int mark = events.size();
    Future<String> held = request("held");
    await().atMost(WAIT).until(() -> client.queuedCount() == 1);
    assertThat(held.isComplete()).isFalse();

    // Start the server again on the same path: the client reconnects and says hello first.
    startServer();
    awaitInbound(2);
    Future<String> fresh = request("fresh");
    assertThat(get(held)).isEqualTo("echo:held");
    assertThat(get(fresh)).isEqualTo("echo:fresh");
    assertThat(events.subList(mark, events.size()))
        .filteredOn(e -> !e.startsWith("status:"))
        .containsExactly("inbound:hello:echo:hello world", "reply:echo:held", "reply:echo:fresh");

    // Status: connected, drained by the stopping server (reconnect at once), retried (perhaps
    // several times while the server was down), connected.
    Backoff backoff = Backoff.of(client.options(), java.util.random.RandomGenerator.getDefault());
    assertStatus(statuses.get(0), "CONNECTING", 0, -1);
    assertStatus(statuses.get(1), "CONNECTED", 0, -1);
    JsonObject lost = statuses.get(2);
    assertStatus(lost, "DISCONNECTED", 0, -1);
    assertThat(lost.getString("reason")).isEqualTo("connection lost: drained by the server (GOAWAY); reconnecting at once");
    int i = 3;
    while (!"CONNECTED".equals(statuses.get(i + 1).getString("state"))) {
      int attempt = statuses.get(i).getInteger("attempt");
      assertStatus(statuses.get(i), "CONNECTING", attempt, -1);
      JsonObject failed = statuses.get(i + 1);
      assertStatus(failed, "DISCONNECTED", attempt + 1, -2);
      assertThat(failed.getString("reason")).startsWith("server not up yet");
      assertThat(failed.getLong("nextRetryMs")).isBetween(backoff.minMillis(attempt + 1), backoff.baseMillis(attempt + 1));
      i += 2;
    }
    int attempt = statuses.get(i).getInteger("attempt");
    assertStatus(statuses.get(i), "CONNECTING", attempt, -1);
    assertStatus(statuses.get(i + 1), "CONNECTED", attempt, -1);
    assertThat(statuses).hasSize(i + 2);
    assertThat(statuses).allSatisfy(s -> assertThat(s.getString("path")).isEqualTo(path.toString()));
  }

  /** {@code nextRetryMs} -2 means "any value" (checked separately). */
  private static void assertStatus(JsonObject status, String state, int attempt, long nextRetryMs) {
    assertThat(status.getString("state")).as("state of %s", status).isEqualTo(state);
    assertThat(status.getInteger("attempt")).as("attempt of %s", status).isEqualTo(attempt);
    if (nextRetryMs != -2) {
      assertThat(status.getLong("nextRetryMs")).as("nextRetryMs of %s", status).isEqualTo(nextRetryMs);
    }
    assertThat(status.getString("reason")).as("reason of %s", status).isNotBlank();
  }

  @Test
  void serverStartingLate_deploymentSucceedsAndTheQueuedRequestIsAnswered() throws Exception {
    deployClient(new ClientVerticle(options()));
    JsonObject notUp = awaitStatus(ConnectionState.DISCONNECTED, 1);
    assertThat(notUp.getString("reason")).startsWith("server not up yet");
    Future<String> early = request("early");
    startServer();
    assertThat(get(early)).isEqualTo("echo:early");
    assertThat(states()).endsWith("CONNECTED");
  }

  @Test
  void bodiesOfEachSupportedTypeGoOutAsOneFrame() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options()));
    assertThat(get(request(Buffer.buffer("bytes")))).isEqualTo("echo:bytes");
    assertThat(get(request("text é"))).isEqualTo("echo:text é");
    assertThat(get(request(new JsonObject().put("a", 1)))).isEqualTo("echo:{\"a\":1}");
    assertThat(get(request(""))).isEqualTo("echo:");
  }

  @Test
  void sendWithoutReplyAddress_replyIsPublishedOnInbound() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options()));
    send("fire");
    awaitInbound(1);
    assertThat(inbound.get(0).body().toString()).isEqualTo("echo:fire");
    assertThat(inbound.get(0).headers().get(ClientVerticle.ORIGIN_HEADER)).isEqualTo(ClientVerticle.ORIGIN_SEND);
  }

  @Test
  void unsupportedBodyFailsAtOnceWithBadBody(VertxTestContext test) throws Exception {
    deployClient(new ClientVerticle(options()));
    Checkpoint failed = test.checkpoint(2);
    for (Object body : new Object[] {42, null}) {
      request(body).onComplete(test.failing(e -> test.verify(() -> {
        ReplyException re = (ReplyException) e;
        assertThat(re.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
        assertThat(re.failureCode()).isEqualTo(ClientFailure.BAD_BODY);
        assertThat(re.getMessage()).startsWith("bad body: ").contains("send a Buffer, String or JsonObject");
        failed.flag();
      })));
    }
  }

  @Test
  void lineFramingRefusesAPayloadWithANewline() throws Exception {
    deployClient(new ClientVerticle(options().setFraming(Framing.LINE)));
    ReplyException e = failure(request("two\nlines"), ClientFailure.BAD_BODY);
    assertThat(e.getMessage()).contains("newline");
  }

  @Test
  void oversizeMessageFailsAtOnce_evenWhileDisconnected() throws Exception {
    ClientVerticle client = new ClientVerticle(options().setMaxFrame(100));
    deployClient(client);
    ReplyException e = failure(request("x".repeat(101)), ClientFailure.FRAME_TOO_LARGE);
    assertThat(e.getMessage()).isEqualTo("frame too large: 101 bytes exceeds max-frame 100");
    Future<String> atLimit = request("y".repeat(90)); // its reply (prefix + 90) must also fit in 100
    startServer();
    assertThat(get(atLimit)).isEqualTo("echo:" + "y".repeat(90));
  }

  @Test
  void queueFull_nextMessageFailsSayingSo_andTheQueuedOnesStillGo(VertxTestContext test) throws Exception {
    ClientVerticle client = new ClientVerticle(options().setQueueCapacity(3));
    deployClient(client);
    List<Future<String>> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      queued.add(request("q" + i));
    }
    await().atMost(WAIT).until(() -> client.queuedCount() == 3);
    ReplyException e = failure(request("one too many"), ClientFailure.QUEUE_FULL);
    assertThat(e.getMessage()).isEqualTo("queue full (capacity 3)");

    Checkpoint answered = test.checkpoint(3);
    for (int i = 0; i < 3; i++) {
      String expected = "echo:q" + i;
      queued.get(i).onComplete(test.succeeding(r -> test.verify(() -> {
        assertThat(r).isEqualTo(expected);
        answered.flag();
      })));
    }
    startServer();
  }

  @Test
  void stopWithMessagesQueued_allFailWithStopped_andStoppedIsPublished() throws Exception {
    ClientVerticle client = new ClientVerticle(options());
    String id = deployClient(client);
    List<Future<String>> pending = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      pending.add(request("p" + i));
    }
    await().atMost(WAIT).until(() -> client.queuedCount() == 5);
    get(vertx.undeploy(id));
    for (Future<String> f : pending) {
      assertThat(failure(f, ClientFailure.STOPPED).getMessage()).isEqualTo("client stopped");
    }
    awaitStatus(ConnectionState.STOPPED, 1);
    assertThat(states()).last().isEqualTo("STOPPED");
  }

  @Test
  void stopWithMessagesInFlight_allFailWithStopped() throws Exception {
    get(FaultyServers.silent(vertx, path));
    ClientVerticle client = new ClientVerticle(options());
    String id = deployClient(client);
    List<Future<String>> pending = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      pending.add(request("p" + i));
    }
    await().atMost(WAIT).until(() -> client.inFlightCount() == 5);
    get(vertx.undeploy(id));
    for (Future<String> f : pending) {
      failure(f, ClientFailure.STOPPED);
    }
    awaitStatus(ConnectionState.STOPPED, 1); // published on stop, seen by the driver a moment later
    assertThat(states()).containsExactly("CONNECTING", "CONNECTED", "STOPPED");
  }

  @Test
  void connectionLost_unansweredRequestFailsWithConnectionLost_andTheNextConnectionStartsClean() throws Exception {
    // The first connection dies halfway through a reply: an old decoder or writer surviving
    // into the next connection would garble everything after.
    get(FaultyServers.breaksFirstConnectionMidFrame(vertx, path));
    deployClient(new ClientVerticle(options()));
    ReplyException lost = failure(request("doomed"), ClientFailure.CONNECTION_LOST);
    assertThat(lost.getMessage()).startsWith("connection lost; delivery unknown");
    assertThat(get(request("after"))).isEqualTo("echo:after");
    assertThat(get(request("and again"))).isEqualTo("echo:and again");
  }

  @Test
  void connectionLost_withResend_unansweredRequestIsSentAgainAndAnswered() throws Exception {
    get(FaultyServers.breaksFirstConnectionMidFrame(vertx, path));
    deployClient(new ClientVerticle(options().setInFlightOnLoss(InFlightOnLoss.RESEND)));
    assertThat(get(request("again"))).isEqualTo("echo:again");
  }

  @Test
  void serverFrameOverMaxFrame_dropsTheConnection_andTheRequestItAnswersFailsSayingWhy() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options().setMaxFrame(10)));
    // 8 bytes out is fine; "echo:" + 8 = 13 bytes back is over the client's max-frame.
    ReplyException e = failure(request("12345678"), ClientFailure.FRAME_TOO_LARGE);
    assertThat(e.getMessage()).isEqualTo("frame too large: reply of 13 bytes exceeds max-frame 10");
    assertThat(get(request("1234"))).isEqualTo("echo:1234");
  }

  @Test
  void serverFrameOverMaxFrame_withResend_theRequestItAnswersIsNotSentAgain_andTheOneBehindIsAnswered() throws Exception {
    startServer();
    ClientVerticle client = new ClientVerticle(options().setMaxFrame(10).setInFlightOnLoss(InFlightOnLoss.RESEND));
    deployClient(client);
    // The server read and answered "12345678"; sent again, its reply would be too large again,
    // on every connection, with everything behind it stuck in the queue.
    Future<String> big = request("12345678");
    Future<String> behind = request("1234");
    ReplyException e = failure(big, ClientFailure.FRAME_TOO_LARGE);
    assertThat(e.getMessage()).isEqualTo("frame too large: reply of 13 bytes exceeds max-frame 10");
    assertThat(get(behind)).isEqualTo("echo:1234");
    assertThat(client.stats().failures(ClientFailure.FRAME_TOO_LARGE)).isEqualTo(1);
  }

  @Test
  void frameAnsweringNothing_isPublishedOnInboundAsUnsolicited() throws Exception {
    get(FaultyServers.greeting(vertx, path, "welcome"));
    deployClient(new ClientVerticle(options()));
    awaitInbound(1);
    assertThat(inbound.get(0).body().toString()).isEqualTo("welcome");
    assertThat(inbound.get(0).headers().get(ClientVerticle.ORIGIN_HEADER)).isEqualTo(ClientVerticle.ORIGIN_UNSOLICITED);
    assertThat(get(request("x"))).isEqualTo("echo:x");
  }

  @Test
  void goAwayFromTheServer_takesNoPlaceInReplyMatching_endsWritingThereWithDone_andHoldsLaterMessages() throws Exception {
    List<dev.unixsocket.wire.Control> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    get(FaultyServers.controlFrameThenGreeting(vertx, path, dev.unixsocket.wire.Control.GOAWAY, "welcome", received));
    ClientVerticle client = new ClientVerticle(options());
    deployClient(client);
    awaitInbound(1);
    assertThat(inbound.get(0).body().toString()).isEqualTo("welcome");
    assertThat(inbound.get(0).headers().get(ClientVerticle.ORIGIN_HEADER)).isEqualTo(ClientVerticle.ORIGIN_UNSOLICITED);
    await().atMost(WAIT).until(() -> received.size() == 2);
    assertThat(received).containsExactly(dev.unixsocket.wire.Control.HELLO, dev.unixsocket.wire.Control.DONE);
    // This server never closes: the message waits in the queue for the next connection.
    Future<String> held = request("x");
    await().atMost(WAIT).until(() -> client.queuedCount() == 1);
    assertThat(held.isComplete()).isFalse();
    assertThat(client.inFlightCount()).isZero();
  }

  @Test
  void proxyDroppingAsManyConnectionsAsReconnectAttempts_isOvercome(VertxTestContext test) throws Exception {
    Path proxyPath = newPath();
    startServer();
    FaultyServers.DroppingProxy proxy = get(FaultyServers.DroppingProxy.start(vertx, proxyPath, path, 3));
    deployClient(new ClientVerticle(options().setPath(proxyPath.toString())
        .setReconnectAttempts(3).setInFlightOnLoss(InFlightOnLoss.RESEND)));
    request("through").onComplete(test.succeeding(r -> test.verify(() -> {
      assertThat(r).isEqualTo("echo:through");
      assertThat(proxy.accepted.get()).isEqualTo(4);
      test.completeNow();
    })));
  }

  @Test
  void proxyDroppingOneConnectionMoreThanReconnectAttempts_exhaustsThem() throws Exception {
    Path proxyPath = newPath();
    startServer();
    FaultyServers.DroppingProxy proxy = get(FaultyServers.DroppingProxy.start(vertx, proxyPath, path, 4));
    deployClient(new ClientVerticle(options().setPath(proxyPath.toString())
        .setReconnectAttempts(3).setInFlightOnLoss(InFlightOnLoss.RESEND)));
    ReplyException e = failure(request("through"), ClientFailure.ATTEMPTS_EXHAUSTED);
    assertThat(e.getMessage()).startsWith("no connection to " + proxyPath + " after 3 reconnect attempts");
    assertThat(proxy.accepted.get()).isEqualTo(4);
    // Later messages fail at once too.
    failure(request("later"), ClientFailure.ATTEMPTS_EXHAUSTED);
  }

  @Test
  void statusSequence_whenTheServerNeverComesAndAttemptsRunOut() throws Exception {
    ClientOptions o = options().setReconnectAttempts(2).setReconnectJitter(0.5);
    String id = deployClient(new ClientVerticle(o));
    JsonObject gaveUp = awaitStatus(ConnectionState.DISCONNECTED, 3);
    get(vertx.undeploy(id));
    awaitStatus(ConnectionState.STOPPED, 1);
    Backoff b = Backoff.of(o, java.util.random.RandomGenerator.getDefault());
    assertThat(states()).containsExactly("CONNECTING", "DISCONNECTED", "CONNECTING", "DISCONNECTED", "CONNECTING", "DISCONNECTED", "STOPPED");
    assertStatus(statuses.get(0), "CONNECTING", 0, -1);
    assertStatus(statuses.get(1), "DISCONNECTED", 1, -2);
    assertThat(statuses.get(1).getLong("nextRetryMs")).isBetween(b.minMillis(1), b.baseMillis(1));
    assertThat(statuses.get(1).getString("reason")).startsWith("server not up yet");
    assertStatus(statuses.get(2), "CONNECTING", 1, -1);
    assertStatus(statuses.get(3), "DISCONNECTED", 2, -2);
    assertThat(statuses.get(3).getLong("nextRetryMs")).isBetween(b.minMillis(2), b.baseMillis(2));
    assertStatus(statuses.get(4), "CONNECTING", 2, -1);
    assertStatus(gaveUp, "DISCONNECTED", 2, -1);
    assertThat(gaveUp.getString("reason")).startsWith("gave up after 2 reconnect attempts");
    assertStatus(statuses.get(6), "STOPPED", 2, -1);
  }

  @Test
  void messagesQueuedInOneEventLoopTurnGoOutInOneWrite_cappedAtMaxBatchBytes() throws Exception {
    startServer();
    ClientVerticle client = new ClientVerticle(options().setMaxBatchBytes(1_000));
    deployClient(client);
    assertThat(get(request("warm-up"))).isEqualTo("echo:warm-up");
    long before = client.writeCount();

    // 200 frames of 8 bytes (4-byte header + "bNNN") queued within one turn of the client's event
    // loop: 1,600 bytes, so one write of 125 frames (1,000 bytes) and one of the other 75.
    List<Future<String>> replies = new ArrayList<>();
    io.vertx.core.Promise<Void> sent = io.vertx.core.Promise.promise();
    client.contextForTest().runOnContext(v -> {
      for (int i = 0; i < 200; i++) {
        replies.add(vertx.eventBus().<Buffer>request(ClientOptions.DEFAULT_SEND_ADDRESS, String.format("b%03d", i))
            .map(m -> m.body().toString()));
      }
      sent.complete();
    });
    get(sent.future());
    for (int i = 0; i < 200; i++) {
      assertThat(get(replies.get(i))).isEqualTo(String.format("echo:b%03d", i));
    }
    assertThat(client.writeCount() - before).isEqualTo(2);
  }

  @Test
  void manyMessages_inBatchesCappedAtMaxBatchBytes_andLargeOnesThroughBackpressure_allAnsweredInOrder() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options().setMaxBatchBytes(1_000).setQueueCapacity(100_000)));
    List<Future<String>> small = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      small.add(request("m" + i));
    }
    // Each over the socket's write-queue high-water mark: the client must wait for drain.
    String big = "b".repeat(1 << 20);
    List<Future<String>> large = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      large.add(request(i + big));
    }
    for (int i = 0; i < small.size(); i++) {
      assertThat(get(small.get(i))).isEqualTo("echo:m" + i);
    }
    for (int i = 0; i < large.size(); i++) {
      assertThat(get(large.get(i))).isEqualTo("echo:" + i + big);
    }
    List<String> replies = events.stream().filter(e -> e.startsWith("reply:echo:m")).toList();
    assertThat(replies).hasSize(5_000);
    assertThat(replies.get(0)).isEqualTo("reply:echo:m0");
    assertThat(replies.get(4_999)).isEqualTo("reply:echo:m4999");
    for (int i = 0; i < replies.size(); i++) {
      assertThat(replies.get(i)).isEqualTo("reply:echo:m" + i);
    }
  }

  @Test
  void badOptionCombinationFailsTheDeployment() throws Exception {
    Throwable e = get(vertx.deployVerticle(new ClientVerticle(options().setReconnectInitialDelayMs(500).setReconnectMaxDelayMs(100)))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be >= the initial delay");
    e = get(vertx.deployVerticle(new ClientVerticle(options().setSendAddress(ClientOptions.DEFAULT_INBOUND_ADDRESS)))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(e).hasMessageContaining("must differ from inboundAddress");
  }

  @Test
  void optionsComeFromTheDeploymentConfig() throws Exception {
    startServer();
    String id = get(vertx.deployVerticle(ClientVerticle.class.getName(),
        new io.vertx.core.DeploymentOptions().setConfig(options().setHello("hi").toJson())));
    assertThat(id).isNotNull();
    awaitInbound(1);
    assertThat(inbound.get(0).body().toString()).isEqualTo("echo:hi");
    assertThat(get(request("x"))).isEqualTo("echo:x");
  }
}
