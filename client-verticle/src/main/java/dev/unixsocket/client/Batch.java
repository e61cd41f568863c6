package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;

/**
 * The replies to one batch message (a {@code JsonArray} body, one frame per element), gathered
 * as they come back: reply {@code i} answers element {@code i}. Settles once: with all the
 * replies, or with the first failure of any of its frames. Event loop only.
 */
final class Batch {

  /** The message to reply to; {@code null} for a batch sent with {@code send}. */
  final Message<?> requester;
  final Buffer[] replies;
  private int received;
  /** Answered or failed: later replies and failures of its frames are ignored. */
  boolean settled;

  Batch(Message<?> requester, int size) {
    this.requester = requester;
    this.replies = new Buffer[size];
  }

  int size() {
    return replies.length;
  }

  /** Records the reply to frame {@code index}; true when that was the last one missing. */
  boolean answer(int index, Buffer reply) {
    if (settled) {
      return false;
    }
    replies[index] = reply;
    if (++received == replies.length) {
      settled = true;
      return true;
    }
    return false;
  }
}
