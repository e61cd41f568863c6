package dev.unixsocket.client;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.testkit.TestTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real sockets, a real {@link ServerVerticle}, and a recorder for what the client publishes.
 * The test's own event-bus traffic (requests, and the status and inbound consumers) runs on one
 * "driver" event loop, so the order of replies and publications seen there is the order the
 * client produced them in.
 */
@ExtendWith(VertxExtension.class)
abstract class ClientTestBase {

  static final Duration WAIT = Duration.ofSeconds(20);

  protected Vertx vertx;
  protected Path path;
  protected ContextInternal driver;
  /** Everything the driver saw, in order: "status:STATE", "inbound:ORIGIN:BODY", "reply:BODY", "failure:CODE". */
  protected final List<String> events = new CopyOnWriteArrayList<>();
  protected final List<JsonObject> statuses = new CopyOnWriteArrayList<>();
  protected final List<Message<Buffer>> inbound = new CopyOnWriteArrayList<>();
  private final List<Path> paths = new ArrayList<>();

  /** The transport of the test's Vert.x: epoll, unless a test runs on each (see {@link ClientContractTest}). */
  Transport transport() {
    return TestTransport.EPOLL.transport();
  }

  @BeforeEach
  void setUpVertx() throws Exception {
    vertx = Vertx.builder().withTransport(transport()).build();
    path = newPath();
    driver = ((VertxInternal) vertx).createEventLoopContext();
    Promise<Void> registered = Promise.promise();
    driver.runOnContext(v -> {
      Future<Void> s = vertx.eventBus().<JsonObject>consumer(ClientOptions.DEFAULT_STATUS_ADDRESS, m -> {
        statuses.add(m.body());
        events.add("status:" + m.body().getString("state"));
      }).completion();
      Future<Void> i = vertx.eventBus().<Buffer>consumer(ClientOptions.DEFAULT_INBOUND_ADDRESS, m -> {
        inbound.add(m);
        events.add("inbound:" + m.headers().get(ClientVerticle.ORIGIN_HEADER) + ":" + m.body());
      }).completion();
      Future.all(s, i).<Void>mapEmpty().onComplete(registered);
    });
    get(registered.future());
  }

  @AfterEach
  void tearDownVertx() throws Exception {
    if (vertx == null) {
      return; // the transport is unavailable: skipped before anything started
    }
    get(vertx.close());
    for (Path p : paths) {
      Files.deleteIfExists(p);
    }
  }

  /** A fresh socket path, short on purpose (the kernel's limit is 107 bytes), deleted in teardown. */
  Path newPath() {
    Path p = SocketPaths.fresh();
    paths.add(p);
    return p;
  }

  /** Client options for tests: this test's path, and reconnect delays short enough to keep tests fast. */
  ClientOptions options() {
    return new ClientOptions().setPath(path.toString())
        .setReconnectInitialDelayMs(10).setReconnectMaxDelayMs(100);
  }

  String startServer() throws Exception {
    return startServer(path);
  }

  String startServer(Path at) throws Exception {
    return get(vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(at.toString()).setDrainTimeoutMs(1_000))));
  }

  void stopServer(String deploymentId) throws Exception {
    get(vertx.undeploy(deploymentId));
  }

  String deployClient(ClientVerticle client) throws Exception {
    return get(vertx.deployVerticle(client));
  }

  /** A request on the send address, made from the driver; completes with the reply as text. */
  Future<String> request(Object body) {
    Promise<String> reply = Promise.promise();
    driver.runOnContext(v -> vertx.eventBus()
        .<Buffer>request(ClientOptions.DEFAULT_SEND_ADDRESS, body, new DeliveryOptions().setSendTimeout(WAIT.toMillis()))
        .map(m -> m.body().toString())
        .onSuccess(r -> events.add("reply:" + r))
        .onFailure(e -> events.add("failure:" + (e instanceof ReplyException ? ClientFailure.name(((ReplyException) e).failureCode()) : e)))
        .onComplete(reply));
    return reply.future();
  }

  /** A fire-and-forget {@code send} on the send address, from the driver. */
  void send(Object body) {
    driver.runOnContext(v -> vertx.eventBus().send(ClientOptions.DEFAULT_SEND_ADDRESS, body));
  }

  List<String> states() {
    List<String> s = new ArrayList<>();
    for (JsonObject j : statuses) {
      s.add(j.getString("state"));
    }
    return s;
  }

  /** Waits for the n-th (1-based) status event in {@code state}, and returns it. */
  JsonObject awaitStatus(ConnectionState state, int n) {
    Predicate<JsonObject> p = j -> state.name().equals(j.getString("state"));
    await().atMost(WAIT).until(() -> statuses.stream().filter(p).count() >= n);
    return statuses.stream().filter(p).skip(n - 1).findFirst().orElseThrow();
  }

  void awaitInbound(int n) {
    await().atMost(WAIT).until(() -> inbound.size() >= n);
  }

  static <T> T get(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    }
  }

  /** Waits for {@code future} to fail, and checks it failed with the client's {@code code}. */
  static ReplyException failure(Future<?> future, int code) throws Exception {
    Throwable cause = get(future.transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(cause).as("failure").isInstanceOf(ReplyException.class);
    ReplyException re = (ReplyException) cause;
    assertThat(ClientFailure.name(re.failureCode())).as("failure code of: %s", re.getMessage()).isEqualTo(ClientFailure.name(code));
    return re;
  }
}
