package dev.unixsocket.server;

import io.vertx.core.json.JsonObject;

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

  public JsonObject toJson() {
    return new JsonObject()
        .put("open", open())
        .put("accepted", accepted())
        .put("refusedUid", refusedUid())
        .put("refusedLimit", refusedLimit())
        .put("closedIdle", closedIdle())
        .put("closedOversize", closedOversize())
        .put("handlerFailures", handlerFailures());
  }
}
