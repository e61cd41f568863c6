package dev.unixsocket.server;

import io.vertx.core.buffer.Buffer;

import java.util.ArrayDeque;

/**
 * Puts asynchronous replies back in the order their frames came in. Each frame takes a slot;
 * handlers may answer in any order; whenever the oldest slots are filled they are written out
 * together as one buffer. Confined to the connection's event loop.
 */
final class OrderedReplies {

  /** One frame's reply, filled in when its handler answers. */
  static final class Slot {
    private Buffer frame;
  }

  private final ServerConnection connection;
  private final ArrayDeque<Slot> slots = new ArrayDeque<>();

  OrderedReplies(ServerConnection connection) {
    this.connection = connection;
  }

  /** A slot for the next frame's reply. */
  Slot next() {
    Slot slot = new Slot();
    slots.addLast(slot);
    return slot;
  }

  int pending() {
    return slots.size();
  }

  /** Fills a slot with its encoded reply frame and writes out every reply now due. */
  void complete(Slot slot, Buffer encodedFrame) {
    slot.frame = encodedFrame;
    Slot head = slots.peekFirst();
    if (head == null || head.frame == null) {
      return; // an older frame is still waiting for its answer
    }
    Buffer out = Buffer.buffer();
    int frames = 0;
    while ((head = slots.peekFirst()) != null && head.frame != null) {
      out.appendBuffer(head.frame);
      slots.pollFirst();
      frames++;
    }
    connection.writeReplies(out, frames);
  }
}
