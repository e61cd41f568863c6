package dev.unixsocket.client;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplyMatcherTest {

  @Test
  void eachFrameAnswersTheOldestOutstandingEntry() {
    ReplyMatcher<String> m = new ReplyMatcher<>();
    m.written("first");
    m.written("second");
    assertThat(m.claim()).isEqualTo("first");
    m.written("third");
    assertThat(m.claim()).isEqualTo("second");
    assertThat(m.claim()).isEqualTo("third");
  }

  @Test
  void aFrameWithNothingOutstandingIsUnclaimed() {
    ReplyMatcher<String> m = new ReplyMatcher<>();
    assertThat(m.claim()).isNull();
    m.written("x");
    m.claim();
    assertThat(m.claim()).isNull();
  }

  @Test
  void drainHandsBackEverythingOutstandingOldestFirst() {
    ReplyMatcher<String> m = new ReplyMatcher<>();
    m.written("a");
    m.written("b");
    m.written("c");
    m.claim();
    assertThat(m.drain()).containsExactly("b", "c");
    assertThat(m.size()).isZero();
    assertThat(m.claim()).isNull();
  }
}
