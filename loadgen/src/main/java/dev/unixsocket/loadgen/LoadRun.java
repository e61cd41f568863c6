package dev.unixsocket.loadgen;

import io.netty.channel.EventLoop;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** State shared by the connections of one bench run and the thread that drives it. */
final class LoadRun {

  static final int WARMUP = 0;
  static final int MEASURE = 1;
  /** No new frames: connections wait for their in-flight replies, then report done. */
  static final int DRAIN = 2;

  volatile int phase = WARMUP;

  final Map<EventLoop, LoopStats> stats = new ConcurrentHashMap<>();
  /** Counted down once per connection: drained, or closed. */
  final CountDownLatch done;
  /** Connection failures, unexpected closes, frames never answered: besides mismatched replies. */
  final AtomicLong otherErrors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();

  LoadRun(int connections) {
    this.done = new CountDownLatch(connections);
  }

  LoopStats statsFor(EventLoop loop) {
    return stats.computeIfAbsent(loop, l -> new LoopStats());
  }

  /** Keeps the first error message of the run, for the one line printed at the end. */
  void error(String message) {
    firstError.compareAndSet(null, message);
  }

  String firstError() {
    return firstError.get();
  }

  long replies() {
    long n = 0;
    for (LoopStats s : stats.values()) {
      n += s.replies;
    }
    return n;
  }
}
