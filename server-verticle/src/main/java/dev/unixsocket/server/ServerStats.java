package dev.unixsocket.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connection counters of one server, shared by its event loops. Per-connection events only:
 * nothing here is touched per frame, so it costs nothing on the hot path.
 */
public final class ServerStats {

  final AtomicInteger open = new AtomicInteger();
  final LongAdder accepted = new LongAdder();
  final LongAdder refusedUid = new LongAdder();
  final LongAdder refusedLimit = new LongAdder();
  final LongAdder closedIdle = new LongAdder();
  final LongAdder closedOversize = new LongAdder();
  final LongAdder handlerFailures = new LongAdder();
  // Added once per read or write, not per frame.
  final LongAdder framesIn = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder framesOut = new LongAdder();
  final LongAdder bytesOut = new LongAdder();

  /** Connections open now. */
  public int open() {
    return open.get();
  }

  public long accepted() {
    return accepted.sum();
  }

  /** Peers closed at once because their uid is not in the allow-list. */
  public long refusedUid() {
    return refusedUid.sum();
  }

  /** Connections closed at once because max-connections were open. */
  public long refusedLimit() {
    return refusedLimit.sum();
  }

  /** Connections closed for completing no frame within the idle timeout. */
  public long closedIdle() {
    return closedIdle.sum();
  }

  /** Connections closed for a frame over max-frame. */
  public long closedOversize() {
    return closedOversize.sum();
  }

  /** Event-bus requests that failed or timed out (answered with an error frame). */
  public long handlerFailures() {
    return handlerFailures.sum();
  }

  public long framesIn() {
    return framesIn.sum();
  }

  public long bytesIn() {
    return bytesIn.sum();
  }

  public long framesOut() {
    return framesOut.sum();
  }

  public long bytesOut() {
    return bytesOut.sum();
  }

  /**
   * Publishes these counters as meters of {@code registry}, tagged with the socket path:
   * {@code uds.server.connections.open} (gauge), {@code uds.server.connections.accepted},
   * {@code uds.server.connections.refused} (tag {@code reason}: uid, limit),
   * {@code uds.server.connections.closed} (tag {@code reason}: idle, oversize),
   * {@code uds.server.frames.in}/{@code .out}, {@code uds.server.bytes.in}/{@code .out},
   * {@code uds.server.handler.failures}.
   */
  public List<Meter> bindTo(MeterRegistry registry, String path) {
    Tags tags = Tags.of("path", path);
    List<Meter> meters = new ArrayList<>();
    meters.add(Gauge.builder("uds.server.connections.open", open, AtomicInteger::get).tags(tags).register(registry));
    meters.add(counter(registry, "uds.server.connections.accepted", tags, accepted));
    meters.add(counter(registry, "uds.server.connections.refused", tags.and("reason", "uid"), refusedUid));
    meters.add(counter(registry, "uds.server.connections.refused", tags.and("reason", "limit"), refusedLimit));
    meters.add(counter(registry, "uds.server.connections.closed", tags.and("reason", "idle"), closedIdle));
    meters.add(counter(registry, "uds.server.connections.closed", tags.and("reason", "oversize"), closedOversize));
    meters.add(counter(registry, "uds.server.frames.in", tags, framesIn));
    meters.add(counter(registry, "uds.server.frames.out", tags, framesOut));
    meters.add(counter(registry, "uds.server.bytes.in", tags, bytesIn));
    meters.add(counter(registry, "uds.server.bytes.out", tags, bytesOut));
    meters.add(counter(registry, "uds.server.handler.failures", tags, handlerFailures));
    return meters;
  }

  private static Meter counter(MeterRegistry registry, String name, Tags tags, LongAdder adder) {
    return FunctionCounter.builder(name, adder, LongAdder::sum).tags(tags).register(registry);
  }

  /** Frames read in one batch, and their bytes on the wire (payload and framing). */
  void read(int frames, long bytes) {
    framesIn.add(frames);
    bytesIn.add(bytes);
  }

  /** Frames written in one batch, and their bytes on the wire. */
  void wrote(int frames, long bytes) {
    framesOut.add(frames);
    bytesOut.add(bytes);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("open", open())
        .put("accepted", accepted())
        .put("refusedUid", refusedUid())
        .put("refusedLimit", refusedLimit())
        .put("closedIdle", closedIdle())
        .put("closedOversize", closedOversize())
        .put("handlerFailures", handlerFailures())
        .put("framesIn", framesIn())
        .put("framesOut", framesOut())
        .put("bytesIn", bytesIn())
        .put("bytesOut", bytesOut());
  }
}
