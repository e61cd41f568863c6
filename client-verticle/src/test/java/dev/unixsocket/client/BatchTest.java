package dev.unixsocket.client;

import dev.unixsocket.testkit.FaultyServers;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Batches: a JsonArray body is one frame per element, answered (or failed) as a whole. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BatchTest extends ClientTestBase {

  /** A batch request from the driver; completes with the replies as text, in order. */
  private Future<List<String>> batch(JsonArray elements) {
    Promise<List<String>> reply = Promise.promise();
    driver.runOnContext(v -> vertx.eventBus()
        .<JsonArray>request(ClientOptions.DEFAULT_SEND_ADDRESS, elements, new DeliveryOptions().setSendTimeout(WAIT.toMillis()))
        .map(m -> {
          List<String> texts = new ArrayList<>();
          for (int i = 0; i < m.body().size(); i++) {
            texts.add(m.body().getBuffer(i).toString()); // getBuffer: getValue would give base64 text
          }
          events.add("batch:" + texts);
          return texts;
        })
        .onFailure(e -> events.add("failure:" + (e instanceof ReplyException ? ClientFailure.name(((ReplyException) e).failureCode()) : e)))
        .onComplete(reply));
    return reply.future();
  }

  private static JsonArray texts(String prefix, int n) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) {
      a.add(prefix + i);
    }
    return a;
  }

  @Test
  void batchIsOneFramePerElement_repliesInElementOrder_betweenSingleMessagesInSendOrder() throws Exception {
    startServer();
    ClientVerticle client = new ClientVerticle(options());
    deployClient(client);
    Future<String> before = request("before");
    Future<List<String>> batch = batch(new JsonArray().add("text").add(Buffer.buffer("bytes"))
        .add(new JsonObject().put("a", 1)).add(""));
    Future<String> after = request("after");

    assertThat(get(batch)).containsExactly("echo:text", "echo:bytes", "echo:{\"a\":1}", "echo:");
    assertThat(get(before)).isEqualTo("echo:before");
    assertThat(get(after)).isEqualTo("echo:after");
    assertThat(events).filteredOn(e -> !e.startsWith("status:")).containsExactly("reply:echo:before", "batch:[echo:text, echo:bytes, echo:{\"a\":1}, echo:]",
        "reply:echo:after");
    assertThat(client.stats().framesOut()).isEqualTo(6);
  }

  @Test
  void largeBatchesSpanSeveralSocketWrites_andStayInOrder() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options().setMaxBatchBytes(1024)));
    List<Future<List<String>>> batches = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      batches.add(batch(texts("b" + b + "-", 2_000)));
    }
    for (int b = 0; b < 5; b++) {
      List<String> replies = get(batches.get(b));
      assertThat(replies).hasSize(2_000);
      for (int i = 0; i < 2_000; i++) {
        assertThat(replies.get(i)).isEqualTo("echo:b" + b + "-" + i);
      }
    }
  }

  @Test
  void batchSentWithSend_itsRepliesArePublishedOnInboundAsOneArray() throws Exception {
    startServer();
    deployClient(new ClientVerticle(options()));
    send(texts("s", 3));
    awaitInbound(1);
    Object body = inbound.get(0).body();
    assertThat(body).isInstanceOf(JsonArray.class);
    JsonArray replies = (JsonArray) body;
    assertThat(replies.size()).isEqualTo(3);
    for (int i = 0; i < 3; i++) {
      assertThat(replies.getBuffer(i).toString()).isEqualTo("echo:s" + i);
    }
    assertThat(inbound.get(0).headers().get(ClientVerticle.ORIGIN_HEADER)).isEqualTo(ClientVerticle.ORIGIN_SEND);
  }

  @Test
  void emptyBatchIsAnsweredWithAnEmptyArray() throws Exception {
    deployClient(new ClientVerticle(options())); // no server needed: nothing is written
    assertThat(get(batch(new JsonArray()))).isEmpty();
  }

  @Test
  void aBadElementRefusesTheWholeBatch_nothingIsWritten() throws Exception {
    startServer();
    ClientVerticle client = new ClientVerticle(options().setMaxFrame(10));
    deployClient(client);

    ReplyException bad = failure(batch(new JsonArray().add("ok").add(42)), ClientFailure.BAD_BODY);
    assertThat(bad.getMessage()).startsWith("bad body: batch element 1 is a java.lang.Integer");
    ReplyException nested = failure(batch(new JsonArray().add(new JsonArray().add("x"))), ClientFailure.BAD_BODY);
    assertThat(nested.getMessage()).contains("batch element 0");
    ReplyException big = failure(batch(new JsonArray().add("ok").add("ok").add("x".repeat(11))), ClientFailure.FRAME_TOO_LARGE);
    assertThat(big.getMessage()).isEqualTo("frame too large: batch element 2 is 11 bytes, exceeds max-frame 10");

    assertThat(get(request("next"))).isEqualTo("echo:next");
    assertThat(client.stats().framesOut()).isEqualTo(1);
    assertThat(client.stats().failures(ClientFailure.BAD_BODY)).isEqualTo(3); // counted in frames
    assertThat(client.stats().failures(ClientFailure.FRAME_TOO_LARGE)).isEqualTo(3);
  }

  @Test
  void lineFramingRefusesABatchWithANewlineInAnyElement() throws Exception {
    deployClient(new ClientVerticle(options().setFraming(Framing.LINE)));
    ReplyException e = failure(batch(new JsonArray().add("one").add("two\nlines")), ClientFailure.BAD_BODY);
    assertThat(e.getMessage()).startsWith("bad body: batch element 1: ");
  }

  @Test
  void batchThatDoesNotFitInTheQueueIsRefusedWhole_whileSmallerOnesStillGo() throws Exception {
    ClientVerticle client = new ClientVerticle(options().setQueueCapacity(5));
    deployClient(client); // no server yet: everything waits in the queue
    Future<List<String>> fits = batch(texts("f", 3));
    await().atMost(WAIT).until(() -> client.queuedCount() == 3);
    ReplyException full = failure(batch(texts("g", 3)), ClientFailure.QUEUE_FULL);
    assertThat(full.getMessage()).isEqualTo("queue full (capacity 5): no room for a batch of 3 frames");
    Future<List<String>> alsoFits = batch(texts("h", 2));
    await().atMost(WAIT).until(() -> client.queuedCount() == 5);

    startServer();
    assertThat(get(fits)).containsExactly("echo:f0", "echo:f1", "echo:f2");
    assertThat(get(alsoFits)).containsExactly("echo:h0", "echo:h1");
  }

  @Test
  void connectionLostMidBatch_theBatchFailsOnce_andTheNextConnectionStartsClean() throws Exception {
    get(FaultyServers.breaksFirstConnectionMidFrame(vertx, path));
    ClientVerticle client = new ClientVerticle(options());
    deployClient(client);
    ReplyException lost = failure(batch(texts("doomed", 50)), ClientFailure.CONNECTION_LOST);
    assertThat(lost.getMessage()).startsWith("connection lost; delivery unknown");
    assertThat(get(batch(texts("after", 3)))).containsExactly("echo:after0", "echo:after1", "echo:after2");
    assertThat(get(request("single"))).isEqualTo("echo:single");
    assertThat(events).filteredOn(e -> e.startsWith("failure:")).containsExactly("failure:CONNECTION_LOST");
    assertThat(client.stats().failures(ClientFailure.CONNECTION_LOST)).isEqualTo(50);
  }

  @Test
  void connectionLostMidBatch_withResend_theWholeBatchIsAnswered() throws Exception {
    get(FaultyServers.breaksFirstConnectionMidFrame(vertx, path));
    deployClient(new ClientVerticle(options().setInFlightOnLoss(InFlightOnLoss.RESEND)));
    List<String> replies = get(batch(texts("again", 50)));
    assertThat(replies).hasSize(50);
    for (int i = 0; i < 50; i++) {
      assertThat(replies.get(i)).isEqualTo("echo:again" + i);
    }
  }

  @Test
  void stopWithABatchInFlight_itFailsOnceWithStopped() throws Exception {
    get(FaultyServers.silent(vertx, path));
    ClientVerticle client = new ClientVerticle(options().setMaxBatchBytes(64));
    String id = deployClient(client);
    Future<List<String>> pending = batch(texts("p", 40));
    await().atMost(WAIT).until(() -> client.inFlightCount() > 0);
    get(vertx.undeploy(id));
    assertThat(failure(pending, ClientFailure.STOPPED).getMessage()).isEqualTo("client stopped");
    assertThat(events).filteredOn(e -> e.startsWith("failure:")).containsExactly("failure:STOPPED");
    assertThat(client.stats().failures(ClientFailure.STOPPED)).isEqualTo(40);
  }
}
