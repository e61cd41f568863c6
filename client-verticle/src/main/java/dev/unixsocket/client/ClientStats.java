package dev.unixsocket.client;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one client verticle, readable from any thread. Updated per batch or per event,
 * with cheap adders, so they cost next to nothing on the send path.
 */
public final class ClientStats {

  final LongAdder framesOut = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder framesIn = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder connects = new LongAdder();
  final LongAdder reconnectAttempts = new LongAdder();
  /** Socket writes made (each carrying one batch of frames): tests check batching with it. */
  final LongAdder writes = new LongAdder();
  /** Messages waiting to be written, as of the last change seen on the event loop. */
  volatile int queuedSnapshot;
  /** Messages written and not yet answered, as of the last change seen on the event loop. */
  volatile int inFlightSnapshot;
  /** Failures by code, index = code - 1001 (see {@link ClientFailure}). */
  private final LongAdder[] failures = new LongAdder[ClientFailure.ATTEMPTS_EXHAUSTED - ClientFailure.QUEUE_FULL + 1];

  ClientStats() {
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new LongAdder();
    }
  }

  void snapshot(int queued, int inFlight) {
    queuedSnapshot = queued;
    inFlightSnapshot = inFlight;
  }

  void snapshotQueued(int queued) {
    queuedSnapshot = queued;
  }

  void snapshotInFlight(int inFlight) {
    inFlightSnapshot = inFlight;
  }

  void failed(int code, int count) {
    int i = code - ClientFailure.QUEUE_FULL;
    if (i >= 0 && i < failures.length) {
      failures[i].add(count);
    }
  }

  public long framesOut() {
    return framesOut.sum();
  }

  public long framesIn() {
    return framesIn.sum();
  }

  /** Successful connects, the first one included. */
  public long connects() {
    return connects.sum();
  }

  /** Connect attempts made after a failure or a drop. */
  public long reconnectAttempts() {
    return reconnectAttempts.sum();
  }

  /** Messages failed with {@code code} (a {@link ClientFailure} constant). */
  public long failures(int code) {
    int i = code - ClientFailure.QUEUE_FULL;
    return i >= 0 && i < failures.length ? failures[i].sum() : 0;
  }

  /**
   * Publishes the counters as meters, tagged with the socket path: {@code uds.client.frames.out}
   * /{@code .in}, {@code uds.client.bytes.out}/{@code .in}, {@code uds.client.connects},
   * {@code uds.client.reconnect.attempts}, {@code uds.client.failures} (tag {@code reason}, the
   * failure code's name), and the gauges {@code uds.client.queue.depth} and {@code uds.client.in.flight}.
   */
  List<Meter> bindTo(MeterRegistry registry, String path) {
    Tags tags = Tags.of("path", path);
    List<Meter> meters = new ArrayList<>();
    meters.add(counter(registry, "uds.client.frames.out", tags, framesOut));
    meters.add(counter(registry, "uds.client.frames.in", tags, framesIn));
    meters.add(counter(registry, "uds.client.bytes.out", tags, bytesOut));
    meters.add(counter(registry, "uds.client.bytes.in", tags, bytesIn));
    meters.add(counter(registry, "uds.client.connects", tags, connects));
    meters.add(counter(registry, "uds.client.reconnect.attempts", tags, reconnectAttempts));
    for (int i = 0; i < failures.length; i++) {
      String reason = ClientFailure.name(ClientFailure.QUEUE_FULL + i).toLowerCase(java.util.Locale.ROOT);
      meters.add(counter(registry, "uds.client.failures", tags.and("reason", reason), failures[i]));
    }
    meters.add(Gauge.builder("uds.client.queue.depth", this, s -> s.queuedSnapshot).strongReference(true).tags(tags).register(registry));
    meters.add(Gauge.builder("uds.client.in.flight", this, s -> s.inFlightSnapshot).strongReference(true).tags(tags).register(registry));
    return meters;
  }

  private static Meter counter(MeterRegistry registry, String name, Tags tags, LongAdder adder) {
    return FunctionCounter.builder(name, adder, LongAdder::sum).tags(tags).register(registry);
  }

  public JsonObject toJson() {
    JsonObject byCode = new JsonObject();
    for (int i = 0; i < failures.length; i++) {
      byCode.put(ClientFailure.name(ClientFailure.QUEUE_FULL + i), failures[i].sum());
    }
    return new JsonObject()
        .put("framesOut", framesOut())
        .put("framesIn", framesIn())
        .put("bytesOut", bytesOut.sum())
        .put("bytesIn", bytesIn.sum())
        .put("connects", connects())
        .put("reconnectAttempts", reconnectAttempts())
        .put("failures", byCode);
  }
}
