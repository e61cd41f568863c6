package dev.unixsocket.loadgen;

import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Figures gathered by the connections of one event loop. Written only from that loop's thread
 * (one histogram per loop rather than per connection: a histogram is ~200 KB); read by the main
 * thread after the loops have stopped, except {@link #replies}, which the progress line polls.
 */
final class LoopStats {

  /** Latency in nanoseconds, 1 ns to 60 s, 3 significant digits. */
  final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
  /** Correct replies received while measuring. */
  long measured;
  /** Replies that did not equal prefix + payload. */
  long mismatches;
  /** Correct replies of the whole run: warm-up, measuring and drain. */
  long verified;
  /** Every reply received, warm-up included: for the progress line only. */
  volatile long replies;
}
