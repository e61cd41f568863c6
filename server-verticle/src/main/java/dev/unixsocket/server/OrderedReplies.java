package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.ArrayDeque;

/**
 * Puts asynchronous replies back in the order their frames came in. Each frame takes a slot;
 * handlers may answer in any order; whenever the oldest slots are filled they are copied
 * together into one socket buffer and written. Confined to the connection's event loop.
 */
final class OrderedReplies {

  /** One frame's reply, filled in when its handler answers. */
  static final class Slot {
    private Buffer frame;
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

  /** Fills a slot with its encoded reply frame and writes out every reply now due. */
  void complete(Slot slot, Buffer encodedFrame) {
    slot.frame = encodedFrame;
    Slot head = slots.peekFirst();
    if (head == null || head.frame == null) {
      return; // an older frame is still waiting for its answer
    }
    ByteBuf out = connection.alloc().ioBuffer(head.frame.length());
    int frames = 0;
    while ((head = slots.peekFirst()) != null && head.frame != null) {
      out.writeBytes(((BufferInternal) head.frame).getByteBuf());
      slots.pollFirst();
      frames++;
    }
    connection.writeReplies(out, frames);
  }
}
