package dev.unixsocket.loadgen;

import org.HdrHistogram.Histogram;

/** Rounding and unit conversions of the figures a run reports. */
final class Figures {

  private Figures() {
  }

  /** The latency at {@code percentile} in microseconds, one decimal; 0 when nothing was recorded. */
  static double micros(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0.0 : round(h.getValueAtPercentile(percentile) / 1000.0, 1);
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** Seconds, as given on the command line, in nanoseconds. */
  static long nanos(double seconds) {
    return (long) (seconds * 1e9);
  }
}
