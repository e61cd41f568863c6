package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.ArrayDeque;

/**
 * Puts asynchronous replies back in the order their frames came in. Each frame takes a slot;
 * handlers may answer in any order; whenever the oldest slots are filled their payloads are
 * framed together into one socket buffer (the only copy of a reply) and written. Confined to the
 * connection's event loop.
 */
final class OrderedReplies {

  /** One frame's reply payload, checked for the framing, filled in when its handler answers. */
  static final class Slot {
    private Buffer payload;
  }

  private final ForwardingConnection connection;
  /** Made on the first frame: an idle connection carries no queue. */
  private ArrayDeque<Slot> slots;

  OrderedReplies(ForwardingConnection connection) {
    this.connection = connection;
  }

  /** A slot for the next frame's reply. */
  Slot next() {
    if (slots == null) {
      slots = new ArrayDeque<>();
    }
    Slot slot = new Slot();
    slots.addLast(slot);
    return slot;
  }

  int pending() {
    return slots == null ? 0 : slots.size();
  }

  /**
   * Fills a slot with its reply payload (already {@link Framing#check checked}) and writes out
   * every reply now due.
   */
  void complete(Slot slot, Buffer payload) {
    slot.payload = payload;
    Slot head = slots.peekFirst();
    if (head == null || head.payload == null) {
      return; // an older frame is still waiting for its answer
    }
    Framing framing = connection.group.framing();
    ByteBuf out = connection.alloc().ioBuffer(head.payload.length() + framing.overhead());
    int frames = 0;
    while ((head = slots.peekFirst()) != null && head.payload != null) {
      framing.writeHeader(out, head.payload.length());
      out.writeBytes(((BufferInternal) head.payload).getByteBuf());
      framing.writeTrailer(out);
      slots.pollFirst();
      frames++;
    }
    connection.writeReplies(out, frames);
  }
}
