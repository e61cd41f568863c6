package dev.unixsocket.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;

/**
 * One frame on its way to the server: its payload and who gets the reply. The payload is
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
    HELLO,
    /** One element of a batch (a {@code JsonArray} body): its reply goes into the {@link Batch}. */
    BATCH
  }

  /** The payload, already checked against max-frame and the framing's rules. */
  final Buffer payload;
  final Kind kind;
  /** The message to reply to, for {@link Kind#REQUEST}; {@code null} otherwise. */
  final Message<?> requester;
  /** The batch this frame belongs to, for {@link Kind#BATCH}; {@code null} otherwise. */
  final Batch batch;
  /** This frame's place in its batch. */
  final int index;

  private Outbound(Buffer payload, Kind kind, Message<?> requester, Batch batch, int index) {
    this.payload = payload;
    this.kind = kind;
    this.requester = requester;
    this.batch = batch;
    this.index = index;
  }

  /** A message from the event bus: a request if it carries a reply address, else a send. */
  static Outbound of(Buffer payload, Message<?> message) {
    return message.replyAddress() != null
        ? new Outbound(payload, Kind.REQUEST, message, null, 0)
        : new Outbound(payload, Kind.SEND, null, null, 0);
  }

  static Outbound hello(Buffer payload) {
    return new Outbound(payload, Kind.HELLO, null, null, 0);
  }

  static Outbound batchPart(Buffer payload, Batch batch, int index) {
    return new Outbound(payload, Kind.BATCH, null, batch, index);
  }

  /** A part of a batch that has already failed: not worth writing any more. */
  boolean abandoned() {
    return batch != null && batch.settled;
  }
}
