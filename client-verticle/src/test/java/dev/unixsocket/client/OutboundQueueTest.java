package dev.unixsocket.client;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboundQueueTest {

  @Test
  void firstInFirstOut() {
    OutboundQueue<String> q = new OutboundQueue<>(10);
    q.offer("a");
    q.offer("b");
    q.offer("c");
    assertThat(q.peek()).isEqualTo("a");
    assertThat(q.poll()).isEqualTo("a");
    assertThat(q.poll()).isEqualTo("b");
    assertThat(q.poll()).isEqualTo("c");
    assertThat(q.poll()).isNull();
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void refusesBeyondCapacity() {
    OutboundQueue<String> q = new OutboundQueue<>(2);
    assertThat(q.offer("a")).isTrue();
    assertThat(q.offer("b")).isTrue();
    assertThat(q.offer("c")).isFalse();
    assertThat(q.drain()).containsExactly("a", "b");
    assertThat(q.offer("c")).isTrue();
  }

  @Test
  void requeuedItemsGoFirstInTheirOriginalOrder() {
    OutboundQueue<String> q = new OutboundQueue<>(10);
    q.offer("queued1");
    q.offer("queued2");
    q.requeueFirst(List.of("lost1", "lost2", "lost3"));
    assertThat(q.drain()).containsExactly("lost1", "lost2", "lost3", "queued1", "queued2");
  }

  @Test
  void requeueMayExceedCapacityButThenNewItemsAreRefused() {
    OutboundQueue<String> q = new OutboundQueue<>(2);
    q.offer("queued");
    q.requeueFirst(List.of("lost1", "lost2"));
    assertThat(q.size()).isEqualTo(3);
    assertThat(q.offer("new")).isFalse();
    q.poll();
    q.poll();
    assertThat(q.offer("new")).isTrue();
    assertThat(q.drain()).containsExactly("queued", "new");
  }

  @Test
  void capacityMustBePositive() {
    assertThatThrownBy(() -> new OutboundQueue<>(0)).hasMessageContaining("capacity must be >= 1");
  }
}
