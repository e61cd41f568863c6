package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;

import java.util.Arrays;

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

  /**
   * Records the reply to frame {@code index}; once that was the last one missing, replies with
   * the JsonArray of them all, or (for a {@code send}) publishes it on the inbound address.
   */
  void answer(int index, Buffer reply, Inbound inbound) {
    if (settled) {
      return;
    }
    replies[index] = reply;
    if (++received < replies.length) {
      return;
    }
    settled = true;
    // The event bus copies the array and each Buffer in it on delivery: no slice of our read escapes.
    JsonArray all = new JsonArray(Arrays.asList((Object[]) replies));
    if (requester != null) {
      requester.reply(all, Outbound.REPLY_OPTIONS);
    } else {
      inbound.publish(all, ClientVerticle.ORIGIN_SEND);
    }
  }

  /**
   * Fails the batch once, with its first failure.
   *
   * @return the frames the failure counts for: all of the batch's the first time, 0 after
   */
  int fail(int code, String text) {
    if (settled) {
      return 0;
    }
    settled = true;
    if (requester != null) {
      requester.fail(code, text);
    }
    return replies.length;
  }
}
