package dev.unixsocket.client;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.ChildServer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Twenty times over: the server process is killed (SIGKILL) while two clients keep sending, and
 * a new server process is started on the same path, over the stale socket file the dead one left.
 * One client fails in-flight messages on a drop ({@link InFlightOnLoss#FAIL}), the other resends
 * them ({@link InFlightOnLoss#RESEND}). After each cycle, every request sent before the kill has
 * ended in exactly one outcome: its own reply, or (FAIL only) {@link ClientFailure#CONNECTION_LOST};
 * no frame arrives that answers nothing (which a reply delivered twice would be).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServerKillCyclesTest extends ClientTestBase {

  private static final int CYCLES = 20;
  private static final int MAX_REQUESTS = 200_000;

  /** The requests of one client: outcomes per request number, checked as they arrive. */
  private final class Tracker {
    final String sendAddress;
    final String prefix;
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger replied = new AtomicInteger();
    final AtomicIntegerArray outcomes = new AtomicIntegerArray(MAX_REQUESTS);
    final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    final List<String> wrongReplies = new CopyOnWriteArrayList<>();

    Tracker(String sendAddress, String prefix) {
      this.sendAddress = sendAddress;
      this.prefix = prefix;
    }

    /** Runs on the driver event loop. */
    void sendOne() {
      int n = sent.getAndIncrement();
      String body = prefix + n;
      vertx.eventBus().<Buffer>request(sendAddress, body, new DeliveryOptions().setSendTimeout(60_000)).onComplete(ar -> {
        outcomes.incrementAndGet(n);
        if (ar.succeeded()) {
          replied.incrementAndGet();
          String reply = ar.result().body().toString();
          if (!reply.equals("echo:" + body)) {
            wrongReplies.add(body + " -> " + reply);
          }
        } else {
          Throwable e = ar.cause();
          String name = e instanceof ReplyException ? ClientFailure.name(((ReplyException) e).failureCode()) : e.toString();
          failures.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        }
      });
    }

    /** True when each request numbered below {@code upTo} has its outcome; fails at once on a second one. */
    boolean allEndedBelow(int upTo) {
      boolean all = true;
      for (int i = 0; i < upTo; i++) {
        int o = outcomes.get(i);
        assertThat(o).as("outcomes of %s%d", prefix, i).isLessThanOrEqualTo(1);
        all &= o == 1;
      }
      return all;
    }
  }

  private final List<ChildProcess> children = new CopyOnWriteArrayList<>();
  private final List<String> resendInbound = new CopyOnWriteArrayList<>();

  @AfterEach
  void killChildren() throws Exception {
    children.forEach(ChildProcess::close);
  }

  @Test
  void twentyKillsAndRestarts_everyRequestEndsInExactlyOneOutcome_andWithResendEveryOneIsReplied() throws Exception {
    ChildProcess server = startChildServer();
    Tracker failing = new Tracker(ClientOptions.DEFAULT_SEND_ADDRESS, "f");
    Tracker resending = new Tracker("resend.send", "r");
    deployClient(new ClientVerticle(options()));
    get(vertx.eventBus().<Buffer>consumer("resend.inbound", m -> resendInbound.add(m.body().toString())).completion());
    get(vertx.deployVerticle(new ClientVerticle(options().setInFlightOnLoss(InFlightOnLoss.RESEND)
        .setSendAddress(resending.sendAddress).setInboundAddress("resend.inbound").setStatusAddress("resend.status")),
        new DeploymentOptions()));

    // One request to each client every 2 ms, from the driver loop, for the whole test.
    Promise<Long> timerId = Promise.promise();
    driver.runOnContext(v -> timerId.complete(vertx.setPeriodic(2, t -> {
      failing.sendOne();
      resending.sendOne();
    })));
    long timer = get(timerId.future());

    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      // Served: both clients got replies from this server process before it dies.
      int f0 = failing.replied.get();
      int r0 = resending.replied.get();
      await().atMost(WAIT).until(() -> failing.replied.get() >= f0 + 20 && resending.replied.get() >= r0 + 20);

      server.kill();
      int failingSentAtKill = failing.sent.get();
      int resendingSentAtKill = resending.sent.get();
      assertThat(Files.exists(path)).as("stale socket file left by the killed server").isTrue();
      server = startChildServer();

      int c = cycle;
      await().atMost(WAIT).alias("cycle " + c + ": every request sent before the kill has ended")
          .until(() -> failing.allEndedBelow(failingSentAtKill) && resending.allEndedBelow(resendingSentAtKill));
      assertThat(failing.wrongReplies).as("replies not matching their request").isEmpty();
      assertThat(resending.wrongReplies).as("replies not matching their request").isEmpty();
      assertThat(failing.failures.keySet()).as("failure kinds, FAIL client").isSubsetOf("CONNECTION_LOST");
      assertThat(resending.failures).as("failures, RESEND client").isEmpty();
    }

    driver.runOnContext(v -> vertx.cancelTimer(timer));
    await().atMost(WAIT).until(() -> failing.allEndedBelow(failing.sent.get()) && resending.allEndedBelow(resending.sent.get()));
    assertThat(failing.replied.get() + failing.failures.getOrDefault("CONNECTION_LOST", new AtomicInteger()).get())
        .isEqualTo(failing.sent.get());
    assertThat(resending.replied.get()).isEqualTo(resending.sent.get());
    assertThat(failing.wrongReplies).isEmpty();
    assertThat(resending.wrongReplies).isEmpty();
    // A frame that answers no request would be a reply delivered twice (or to nobody).
    assertThat(inbound).isEmpty();
    assertThat(resendInbound).isEmpty();
    System.out.printf("%d kill cycles: FAIL client %d sent, %d replied, %s; RESEND client %d sent, %d replied%n",
        CYCLES, failing.sent.get(), failing.replied.get(), failing.failures, resending.sent.get(), resending.replied.get());
  }

  /** Starts {@link ChildServer} on this test's path and waits for its "listening" line. */
  private ChildProcess startChildServer() throws Exception {
    ChildProcess p = ChildServer.start(path);
    children.add(p);
    return p;
  }

}
