// Soak load driver, run by bench/soak:
//   java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.SoakDriver PATH SECONDS RATE CLIENTS
// Deploys CLIENTS client verticles (half InFlightOnLoss.FAIL, half RESEND) on one Vert.x, sends
// RATE requests/s in total with mixed payload sizes, checks every reply against its request, and
// prints one line every 10 s with the interval's counts and latency (HdrHistogram).
package dev.unixsocket.bench;

import dev.unixsocket.client.ClientFailure;
import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import dev.unixsocket.client.InFlightOnLoss;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

public class SoakDriver {

  static final int MAX_IN_FLIGHT_PER_CLIENT = 2_000;

  // All counters are touched on the one event loop of the driver's context only.
  static long sent, replied, mismatched, unanswered, throttled;
  static final Map<String, Long> failures = new TreeMap<>();
  static Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
  static int[] inFlight;

  public static void main(String[] args) throws Exception {
    String path = args[0];
    long seconds = Long.parseLong(args[1]);
    int rate = Integer.parseInt(args[2]);
    int clients = Integer.parseInt(args[3]);
    inFlight = new int[clients];
    Vertx vertx = Vertx.vertx();
    for (int i = 0; i < clients; i++) {
      ClientOptions o = new ClientOptions().setPath(path).setSendAddress("soak.send." + i)
          .setStatusAddress("soak.status." + i).setInboundAddress("soak.inbound." + i)
          .setReconnectInitialDelayMs(50).setReconnectMaxDelayMs(1_000).setQueueCapacity(50_000)
          .setInFlightOnLoss(i % 2 == 0 ? InFlightOnLoss.FAIL : InFlightOnLoss.RESEND);
      vertx.deployVerticle(ClientVerticle.class.getName(), new DeploymentOptions().setConfig(o.toJson()))
          .await();
    }
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(TimeUnit.MINUTES.toMillis(5));
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    vertx.runOnContext(v -> {
      int perTick = Math.max(1, rate / 100);
      long[] seq = {0};
      vertx.setPeriodic(10, t -> {
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds)) {
          vertx.cancelTimer(t);
          return;
        }
        for (int k = 0; k < perTick; k++) {
          int c = (int) (seq[0] % clients);
          if (inFlight[c] >= MAX_IN_FLIGHT_PER_CLIENT) {
            throttled++; // the driver's own cap (e.g. during an outage): not sent, so not a failure
            seq[0]++;
            continue;
          }
          String body = payload(seq[0]++);
          long t0 = System.nanoTime();
          sent++;
          inFlight[c]++;
          vertx.eventBus().<Buffer>request("soak.send." + c, body, delivery).onComplete(ar -> {
            inFlight[c]--;
            if (ar.succeeded()) {
              replied++;
              latency.recordValue(Math.min(System.nanoTime() - t0, latency.getHighestTrackableValue()));
              if (!ar.result().body().toString().equals("echo:" + body)) {
                mismatched++;
              }
            } else if (ar.cause() instanceof ReplyException re && re.failureCode() > 1000) {
              count(ClientFailure.name(re.failureCode()));
            } else {
              count(String.valueOf(ar.cause().getClass().getSimpleName()));
            }
          });
        }
      });
      vertx.setPeriodic(10_000, t -> {
        report((System.nanoTime() - start) / 1_000_000_000L);
        long outstanding = 0;
        for (int n : inFlight) {
          outstanding += n;
        }
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds) && outstanding == 0) {
          vertx.cancelTimer(t);
          done.countDown();
        }
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds + 60)) {
          unanswered = outstanding;
          report((System.nanoTime() - start) / 1_000_000_000L);
          done.countDown();
        }
      });
    });
    done.await();
    System.out.println("FINAL unanswered=" + unanswered);
    vertx.close().await();
    System.exit(unanswered == 0 ? 0 : 1);
  }

  /** Mostly small messages, some 4 KiB, a few 64 KiB; unique per sequence number. */
  static String payload(long seq) {
    int roll = ThreadLocalRandom.current().nextInt(100);
    int pad = roll < 90 ? 16 : roll < 99 ? 4_096 : 65_536;
    StringBuilder sb = new StringBuilder(pad + 20).append(seq).append(':');
    while (sb.length() < pad) {
      sb.append('x');
    }
    return sb.toString();
  }

  static void count(String what) {
    failures.merge(what, 1L, Long::sum);
  }

  static void report(long elapsed) {
    System.out.printf("t=%d sent=%d replied=%d mismatched=%d throttled=%d failures=%s p50_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
        elapsed, sent, replied, mismatched, throttled, failures.toString().replace(" ", ""),
        latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6, latency.getMaxValue() / 1e6);
    System.out.flush();
    latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
  }
}
