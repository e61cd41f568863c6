package dev.unixsocket.client;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

  private static final DoubleSupplier LOWEST = () -> 0.0;
  private static final DoubleSupplier HIGHEST = () -> Math.nextDown(1.0);

  @Test
  void withoutJitterEachAttemptDoublesUntilTheCap() {
    Backoff b = new Backoff(100, 2.0, 5_000, 0.0, new SplittableRandom(1)::nextDouble);
    long[] expected = {100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000};
    for (int attempt = 1; attempt <= expected.length; attempt++) {
      assertThat(b.delayMillis(attempt)).as("attempt %d", attempt).isEqualTo(expected[attempt - 1]);
    }
  }

  @Test
  void jitterTakesAtMostItsFractionOffEachAttempt() {
    SplittableRandom random = new SplittableRandom(42);
    Backoff b = new Backoff(100, 2.0, 5_000, 0.2, random::nextDouble);
    long[][] bounds = {{80, 100}, {160, 200}, {320, 400}, {640, 800}, {1_280, 1_600}, {2_560, 3_200}, {4_000, 5_000}, {4_000, 5_000}};
    for (int round = 0; round < 200; round++) {
      for (int attempt = 1; attempt <= bounds.length; attempt++) {
        long[] lohi = bounds[attempt - 1];
        assertThat(b.delayMillis(attempt)).as("attempt %d", attempt).isBetween(lohi[0], lohi[1]);
        assertThat(b.minMillis(attempt)).isEqualTo(lohi[0]);
        assertThat(b.baseMillis(attempt)).isEqualTo(lohi[1]);
      }
    }
  }

  @Test
  void extremesOfTheRandomSourceReachTheBounds() {
    assertThat(new Backoff(100, 2.0, 5_000, 0.2, LOWEST).delayMillis(3)).isEqualTo(400);
    // r < 1, so the full jitter (80 ms off) is approached, not reached: floor(80 * r) = 79.
    assertThat(new Backoff(100, 2.0, 5_000, 0.2, HIGHEST).delayMillis(3)).isEqualTo(321);
  }

  @Test
  void fullJitterNeverGoesBelowOneMillisecond() {
    Backoff b = new Backoff(1, 1.0, 1, 1.0, HIGHEST);
    assertThat(b.delayMillis(1)).isEqualTo(1);
    assertThat(b.minMillis(1)).isEqualTo(1);
  }

  @Test
  void hugeAttemptNumbersStayAtTheCapInsteadOfOverflowing() {
    Backoff b = new Backoff(100, 2.0, 5_000, 0.2, new SplittableRandom(7)::nextDouble);
    for (int attempt : new int[] {63, 64, 65, 1_000, 100_000, Integer.MAX_VALUE}) {
      assertThat(b.delayMillis(attempt)).as("attempt %d", attempt).isBetween(4_000L, 5_000L);
    }
    Backoff huge = new Backoff(Long.MAX_VALUE / 2, 10.0, Long.MAX_VALUE, 0.0, LOWEST);
    assertThat(huge.delayMillis(Integer.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void multiplierOneKeepsTheDelayConstant() {
    Backoff b = new Backoff(250, 1.0, 10_000, 0.0, LOWEST);
    assertThat(b.delayMillis(1)).isEqualTo(250);
    assertThat(b.delayMillis(50)).isEqualTo(250);
  }

  @Test
  void sameSeedGivesTheSameDelays() {
    Backoff a = new Backoff(100, 2.0, 5_000, 0.5, new SplittableRandom(3)::nextDouble);
    Backoff b = new Backoff(100, 2.0, 5_000, 0.5, new SplittableRandom(3)::nextDouble);
    for (int attempt = 1; attempt < 20; attempt++) {
      assertThat(a.delayMillis(attempt)).isEqualTo(b.delayMillis(attempt));
    }
  }

  @Test
  void badArgumentsAreRefusedWithTheRule() {
    assertThatThrownBy(() -> new Backoff(0, 2.0, 10, 0, LOWEST)).hasMessageContaining("initial delay must be >= 1 ms");
    assertThatThrownBy(() -> new Backoff(10, 0.5, 10, 0, LOWEST)).hasMessageContaining("multiplier must be a finite number >= 1.0");
    assertThatThrownBy(() -> new Backoff(10, Double.NaN, 10, 0, LOWEST)).hasMessageContaining("multiplier");
    assertThatThrownBy(() -> new Backoff(100, 2.0, 50, 0, LOWEST)).hasMessageContaining("maximum delay (50 ms) must be >= the initial delay (100 ms)");
    assertThatThrownBy(() -> new Backoff(10, 2.0, 50, 1.5, LOWEST)).hasMessageContaining("jitter must be between 0.0 and 1.0");
    Backoff b = new Backoff(10, 2.0, 50, 0, LOWEST);
    assertThatThrownBy(() -> b.delayMillis(0)).hasMessageContaining("attempt must be >= 1");
  }

  @Test
  void builtFromClientOptions() {
    ClientOptions o = new ClientOptions().setReconnectInitialDelayMs(10).setReconnectMultiplier(3).setReconnectMaxDelayMs(100).setReconnectJitter(0);
    Backoff b = Backoff.of(o, new java.util.Random(1));
    assertThat(b.delayMillis(1)).isEqualTo(10);
    assertThat(b.delayMillis(2)).isEqualTo(30);
    assertThat(b.delayMillis(3)).isEqualTo(90);
    assertThat(b.delayMillis(4)).isEqualTo(100);
  }
}
