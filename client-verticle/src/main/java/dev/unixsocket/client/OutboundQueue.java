package dev.unixsocket.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages waiting to be written, first in first out, bounded by a capacity. Messages that were
 * written but lost with their connection can be put back at the head, in their original order,
 * to go out first after reconnect; that re-insertion is never refused, even if it takes the
 * queue over capacity for a while (new messages are refused until it drains). Not thread-safe:
 * used from the verticle's event loop only.
 */
final class OutboundQueue<E> {

  private final ArrayDeque<E> items = new ArrayDeque<>();
  private final int capacity;

  OutboundQueue(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    this.capacity = capacity;
  }

  /** Appends {@code item}; {@code false} (and nothing queued) when the queue is full. */
  boolean offer(E item) {
    if (items.size() >= capacity) {
      return false;
    }
    items.addLast(item);
    return true;
  }

  /** The oldest item, left in place; {@code null} when empty. */
  E peek() {
    return items.peekFirst();
  }

  /** Removes and returns the oldest item; {@code null} when empty. */
  E poll() {
    return items.pollFirst();
  }

  /** Puts {@code inOrder} back at the head, so that its first element is the next one polled. */
  void requeueFirst(List<E> inOrder) {
    for (int i = inOrder.size() - 1; i >= 0; i--) {
      items.addFirst(inOrder.get(i));
    }
  }

  /** Removes every item that {@code test} accepts, keeping the others in order. */
  void removeIf(java.util.function.Predicate<? super E> test) {
    items.removeIf(test);
  }

  /** Removes and returns everything, oldest first. */
  List<E> drain() {
    List<E> all = new ArrayList<>(items);
    items.clear();
    return all;
  }

  int size() {
    return items.size();
  }

  boolean isEmpty() {
    return items.isEmpty();
  }

  /** Room left before the queue is full; 0 or less when it is (re-queued items can overfill it). */
  int remaining() {
    return capacity - items.size();
  }

  int capacity() {
    return capacity;
  }
}
