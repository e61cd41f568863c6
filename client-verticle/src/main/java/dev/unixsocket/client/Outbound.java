package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;

/**
 * One message on its way to the server: its payload and who gets the reply. The payload is
 * framed straight into the socket write that carries it, so it is copied once, not twice. Lives in the
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

  /** The payload, already checked against max-frame and the framing's rules. */
  final Buffer payload;
  final Kind kind;
  /** The message to reply to, for {@link Kind#REQUEST}; {@code null} otherwise. */
  final Message<?> requester;

  private Outbound(Buffer payload, Kind kind, Message<?> requester) {
    this.payload = payload;
    this.kind = kind;
    this.requester = requester;
  }

  /** A message from the event bus: a request if it carries a reply address, else a send. */
  static Outbound of(Buffer payload, Message<?> message) {
    return message.replyAddress() != null
        ? new Outbound(payload, Kind.REQUEST, message)
        : new Outbound(payload, Kind.SEND, null);
  }

  static Outbound hello(Buffer payload) {
    return new Outbound(payload, Kind.HELLO, null);
  }
}
