package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;

/**
 * One message on its way to the server: its encoded frame and who gets the reply. Lives in the
 * {@link OutboundQueue} until written, then in the {@link ReplyMatcher} until answered.
 */
final class Outbound {

  enum Kind {
    /** Sent with {@code request}: the server's reply frame is the reply. */
    REQUEST,
    /** Sent with {@code send}: the server's reply frame is published on the inbound address. */
    SEND,
    /** The hello of one connection: its reply is published on the inbound address; never re-sent. */
    HELLO
  }

  /** The whole frame (header or delimiter included), ready to append to a write. */
  final Buffer frame;
  final Kind kind;
  /** The message to reply to, for {@link Kind#REQUEST}; {@code null} otherwise. */
  final Message<?> requester;

  private Outbound(Buffer frame, Kind kind, Message<?> requester) {
    this.frame = frame;
    this.kind = kind;
    this.requester = requester;
  }

  /** A message from the event bus: a request if it carries a reply address, else a send. */
  static Outbound of(Buffer frame, Message<?> message) {
    return message.replyAddress() != null
        ? new Outbound(frame, Kind.REQUEST, message)
        : new Outbound(frame, Kind.SEND, null);
  }

  static Outbound hello(Buffer frame) {
    return new Outbound(frame, Kind.HELLO, null);
  }
}
