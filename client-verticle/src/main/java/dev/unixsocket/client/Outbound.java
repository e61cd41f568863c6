package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * One frame on its way to the server, and what to do with the server's answer to it. Lives in
 * the {@link OutboundQueue} until written, then in its connection's {@link ReplyMatcher} until
 * answered or lost. Each kind completes itself: it knows where its reply goes and whom to tell
 * when it fails. The payload is framed straight into the socket write that carries it, so it is
 * copied once, not twice.
 */
sealed interface Outbound {

  /** Reply options: shared, never changed ({@code Message.reply(Object)} would allocate one per reply). */
  DeliveryOptions REPLY_OPTIONS = new DeliveryOptions();

  /** The payload, already checked against max-frame and the framing's rules. */
  Buffer payload();

  /** Hands the server's reply frame to whoever waits for it. */
  void complete(Buffer reply, Inbound inbound);

  /**
   * Tells the sender, if it can be told, that this frame failed with {@code code}.
   *
   * @return how many frames the failure counts for: 0 when it was already counted (a later part
   *     of a batch that failed) or when no message of a user's is behind the frame (the hello)
   */
  int fail(int code, String text);

  /** Whether a failure reaches a sender; a {@code send} has no reply address, so it does not. */
  boolean replyable();

  /** Whether it may go out again on the next connection when its own is lost. */
  default boolean resendable() {
    return true;
  }

  /** A part of a batch that has already failed: not worth writing any more. */
  default boolean abandoned() {
    return false;
  }

  /** A message from the event bus: a request if it carries a reply address, else a send. */
  static Outbound of(Buffer payload, Message<?> message) {
    return message.replyAddress() != null ? new Request(payload, message) : new Send(payload);
  }

  /** Sent with {@code request}: the server's reply frame is the reply. */
  record Request(Buffer payload, Message<?> requester) implements Outbound {
    @Override
    public void complete(Buffer reply, Inbound inbound) {
      requester.reply(reply, REPLY_OPTIONS);
    }

    @Override
    public int fail(int code, String text) {
      requester.fail(code, text);
      return 1;
    }

    @Override
    public boolean replyable() {
      return true;
    }
  }

  /** Sent with {@code send}: the server's reply frame is published on the inbound address. */
  record Send(Buffer payload) implements Outbound {
    @Override
    public void complete(Buffer reply, Inbound inbound) {
      inbound.publish(reply, ClientVerticle.ORIGIN_SEND);
    }

    @Override
    public int fail(int code, String text) {
      return 1;
    }

    @Override
    public boolean replyable() {
      return false;
    }
  }

  /**
   * The hello of one connection: its reply is published on the inbound address. It belongs to its
   * connection: never re-sent (the next connection sends its own) and never counted as a failure.
   */
  record Hello(Buffer payload) implements Outbound {
    @Override
    public void complete(Buffer reply, Inbound inbound) {
      inbound.publish(reply, ClientVerticle.ORIGIN_HELLO);
    }

    @Override
    public int fail(int code, String text) {
      return 0;
    }

    @Override
    public boolean replyable() {
      return false;
    }

    @Override
    public boolean resendable() {
      return false;
    }
  }

  /** Element {@code index} of a batch (a {@code JsonArray} body): its reply goes into the {@link Batch}. */
  record BatchPart(Buffer payload, Batch batch, int index) implements Outbound {
    @Override
    public void complete(Buffer reply, Inbound inbound) {
      batch.answer(index, reply, inbound);
    }

    @Override
    public int fail(int code, String text) {
      return batch.fail(code, text);
    }

    @Override
    public boolean replyable() {
      return batch.requester != null;
    }

    @Override
    public boolean abandoned() {
      return batch.settled;
    }
  }
}
