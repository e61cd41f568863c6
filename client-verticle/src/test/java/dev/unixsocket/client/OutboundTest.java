package dev.unixsocket.client;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Each kind of frame completes itself: where its reply goes, whom a failure reaches, what it counts for. */
class OutboundTest {

  private static final String SEND = "outbound.test.send";
  private static final String INBOUND = "outbound.test.inbound";

  private Vertx vertx;
  private Inbound inbound;
  /** What was published on INBOUND: "ORIGIN:BODY". */
  private final List<String> published = new CopyOnWriteArrayList<>();
  private final List<Promise<Message<Object>>> arrivals = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    inbound = new Inbound(vertx.eventBus(), INBOUND);
    get(vertx.eventBus().consumer(INBOUND, m -> published.add(origin(m.headers()) + ":" + m.body())).completion());
    get(vertx.eventBus().<Object>consumer(SEND, m -> arrivals.remove(0).complete(m)).completion());
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  private static String origin(MultiMap headers) {
    return headers.get(ClientVerticle.ORIGIN_HEADER);
  }

  /** Sends {@code body} to SEND as a request; returns the message the client side receives, and the requester's reply. */
  private Message<Object> request(Object body, Promise<Object> reply) throws Exception {
    Promise<Message<Object>> arrived = Promise.promise();
    arrivals.add(arrived);
    vertx.eventBus().request(SEND, body).map(Message::body).onComplete(reply);
    return get(arrived.future());
  }

  private Message<Object> send(Object body) throws Exception {
    Promise<Message<Object>> arrived = Promise.promise();
    arrivals.add(arrived);
    vertx.eventBus().send(SEND, body);
    return get(arrived.future());
  }

  @Test
  void request_repliesWithTheFrame_andAFailureReachesTheRequester() throws Exception {
    Promise<Object> reply = Promise.promise();
    Outbound answered = Outbound.of(Buffer.buffer("a"), request("a", reply));
    assertThat(answered).isInstanceOf(Outbound.Request.class);
    answered.complete(Buffer.buffer("echo:a"), inbound);
    assertThat(get(reply.future())).hasToString("echo:a");

    Promise<Object> failed = Promise.promise();
    Outbound lost = Outbound.of(Buffer.buffer("b"), request("b", failed));
    assertThat(lost.fail(ClientFailure.CONNECTION_LOST, "gone")).isEqualTo(1);
    assertThat(lost.replyable()).isTrue();
    assertThat(lost.resendable()).isTrue();
    assertThat(failure(failed.future()).failureCode()).isEqualTo(ClientFailure.CONNECTION_LOST);
    assertThat(published).isEmpty();
  }

  @Test
  void send_publishesTheFrameAsOriginSend_andCountsItsFailureWithoutAReply() throws Exception {
    Outbound sent = Outbound.of(Buffer.buffer("s"), send("s"));
    assertThat(sent).isInstanceOf(Outbound.Send.class);
    sent.complete(Buffer.buffer("echo:s"), inbound);
    await().atMost(10, TimeUnit.SECONDS).until(() -> published.size() == 1);
    assertThat(published).containsExactly("send:echo:s");
    assertThat(sent.fail(ClientFailure.STOPPED, "stopped")).isEqualTo(1);
    assertThat(sent.replyable()).isFalse();
  }

  @Test
  void hello_publishesAsOriginHello_isNeverResent_andIsNoUsersFailure() {
    Outbound hello = new Outbound.Hello(Buffer.buffer("hi"));
    hello.complete(Buffer.buffer("echo:hi"), inbound);
    await().atMost(10, TimeUnit.SECONDS).until(() -> published.size() == 1);
    assertThat(published).containsExactly("hello:echo:hi");
    assertThat(hello.resendable()).isFalse();
    assertThat(hello.fail(ClientFailure.CONNECTION_LOST, "gone")).isZero();
  }

  @Test
  void batchParts_replyOnceWithEveryFrameInElementOrder() throws Exception {
    Promise<Object> reply = Promise.promise();
    Batch batch = new Batch(request(new JsonArray().add("x").add("y"), reply), 2);
    Outbound first = new Outbound.BatchPart(Buffer.buffer("x"), batch, 0);
    Outbound second = new Outbound.BatchPart(Buffer.buffer("y"), batch, 1);
    first.complete(Buffer.buffer("echo:x"), inbound);
    assertThat(reply.future().isComplete()).isFalse();
    second.complete(Buffer.buffer("echo:y"), inbound);
    JsonArray replies = (JsonArray) get(reply.future());
    assertThat(replies.getBuffer(0)).hasToString("echo:x");
    assertThat(replies.getBuffer(1)).hasToString("echo:y");
  }

  @Test
  void batchParts_failOnceCountedAsTheWholeBatch_andTheRestIsAbandoned() throws Exception {
    Promise<Object> reply = Promise.promise();
    Batch batch = new Batch(request(new JsonArray().add("x").add("y").add("z"), reply), 3);
    Outbound[] parts = new Outbound[3];
    for (int i = 0; i < 3; i++) {
      parts[i] = new Outbound.BatchPart(Buffer.buffer("p" + i), batch, i);
    }
    parts[0].complete(Buffer.buffer("echo:p0"), inbound);
    assertThat(parts[2].abandoned()).isFalse();
    assertThat(parts[1].fail(ClientFailure.CONNECTION_LOST, "gone")).isEqualTo(3);
    assertThat(parts[2].fail(ClientFailure.CONNECTION_LOST, "gone")).isZero();
    assertThat(parts[2].abandoned()).isTrue();
    parts[2].complete(Buffer.buffer("echo:p2"), inbound); // too late: the batch has failed
    assertThat(failure(reply.future()).failureCode()).isEqualTo(ClientFailure.CONNECTION_LOST);
  }

  @Test
  void batchSentWithSend_publishesOneArrayAsOriginSend() throws Exception {
    Batch batch = new Batch(null, 2);
    Outbound first = new Outbound.BatchPart(Buffer.buffer("x"), batch, 0);
    assertThat(first.replyable()).isFalse();
    first.complete(Buffer.buffer("echo:x"), inbound);
    new Outbound.BatchPart(Buffer.buffer("y"), batch, 1).complete(Buffer.buffer("echo:y"), inbound);
    await().atMost(10, TimeUnit.SECONDS).until(() -> published.size() == 1);
    assertThat(published.get(0)).startsWith("send:[");
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static ReplyException failure(Future<?> future) throws Exception {
    Throwable cause = get(future.transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(cause).isInstanceOf(ReplyException.class);
    return (ReplyException) cause;
  }
}
