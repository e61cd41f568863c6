package dev.unixsocket.client;

import java.util.Objects;
import java.util.function.DoubleSupplier;
import java.util.random.RandomGenerator;

/**
 * Delay before each reconnect attempt: exponential growth from an initial delay, capped at a
 * maximum, with jitter. A value object (after Lettuce's {@code Delay}); the random source is
 * injected so that tests are repeatable.
 *
 * <p>For attempt {@code n} (1-based) the deterministic delay is
 * {@code base(n) = min(max, initial * multiplier^(n-1))}; jitter then takes a random part of up
 * to {@code jitter * base(n)} off it, so the delay lies in
 * {@code [base(n) - floor(jitter * base(n)), base(n)]}, never above the maximum and never
 * below 1 ms. Large attempt numbers do not overflow: once the growth passes the cap, the cap
 * is used.
 */
public final class Backoff {

  private final long initialMs;
  private final double multiplier;
  private final long maxMs;
  private final double jitter;
  private final DoubleSupplier random;

  /**
   * @param random uniform doubles in [0, 1)
   * @throws IllegalArgumentException stating the rule a value breaks
   */
  public Backoff(long initialMs, double multiplier, long maxMs, double jitter, DoubleSupplier random) {
    if (initialMs < 1) {
      throw new IllegalArgumentException("initial delay must be >= 1 ms, was " + initialMs);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be a finite number >= 1.0, was " + multiplier);
    }
    if (maxMs < initialMs) {
      throw new IllegalArgumentException("maximum delay (" + maxMs + " ms) must be >= the initial delay (" + initialMs + " ms)");
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be between 0.0 and 1.0, was " + jitter);
    }
    this.initialMs = initialMs;
    this.multiplier = multiplier;
    this.maxMs = maxMs;
    this.jitter = jitter;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The backoff a client with these options uses, drawing jitter from {@code random}. */
  public static Backoff of(ClientOptions options, RandomGenerator random) {
    return new Backoff(options.getReconnectInitialDelayMs(), options.getReconnectMultiplier(),
        options.getReconnectMaxDelayMs(), options.getReconnectJitter(), random::nextDouble);
  }

  /**
   * The delay before reconnect attempt {@code attempt}, in milliseconds.
   *
   * @param attempt 1 for the first attempt of an outage
   */
  public long delayMillis(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    long base = baseMillis(attempt);
    double r = random.getAsDouble();
    long off = (long) (base * jitter * Math.min(Math.max(r, 0.0), 1.0));
    return Math.max(1, base - off);
  }

  /** The delay for {@code attempt} before jitter: the upper bound of {@link #delayMillis(int)}. */
  public long baseMillis(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    // Math.pow saturates at +Infinity instead of wrapping, so the comparison below caps it.
    double grown = initialMs * Math.pow(multiplier, attempt - 1);
    return grown >= maxMs ? maxMs : (long) grown;
  }

  /** The smallest delay {@link #delayMillis(int)} can return for {@code attempt}. */
  public long minMillis(int attempt) {
    long base = baseMillis(attempt);
    return Math.max(1, base - (long) (base * jitter));
  }

  public long initialMs() {
    return initialMs;
  }

  public double multiplier() {
    return multiplier;
  }

  public long maxMs() {
    return maxMs;
  }

  public double jitter() {
    return jitter;
  }

  @Override
  public String toString() {
    return "Backoff[initial=" + initialMs + "ms, multiplier=" + multiplier + ", max=" + maxMs + "ms, jitter=" + jitter + "]";
  }
}
