package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.ArrayDeque;

/**
 * Puts asynchronous replies back in the order their frames came in. Each event-bus request takes
 * a slot, which answers one frame or, with {@code --handler-batch}, the frames of a batch;
 * handlers may answer in any order; whenever the oldest slots are filled their payloads are
 * framed together into one socket buffer (the only copy of a reply) and written. Counts frames,
 * not slots: {@link #pending()} is what {@code maxInFlight} and a graceful close wait on.
 * Confined to the connection's event loop.
 */
final class OrderedReplies {

  /** One request's reply payloads, one per frame, each checked for the framing; filled when its handler answers. */
  static final class Slot {
    private int frames = 1;
    /** The reply to a single frame. */
    private Buffer payload;
    /** The replies to a batch's frames, in frame order. */
    private Buffer[] payloads;
    private boolean filled;

    int frames() {
      return frames;
    }
  }

  private final ForwardingConnection connection;
  /** Made on the first frame: an idle connection carries no queue. */
  private ArrayDeque<Slot> slots;
  /** Frames whose replies are not written yet. */
  private int pending;

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
    pending++;
    return slot;
  }

  /** Adds the next frame to {@code slot}, the newest slot, whose request is not sent yet. */
  void join(Slot slot) {
    if (slot != slots.peekLast() || slot.filled) {
      throw new IllegalStateException("only the newest, unanswered slot can take another frame");
    }
    slot.frames++;
    pending++;
  }

  /** Frames read whose replies are not written yet. */
  int pending() {
    return pending;
  }

  /** Fills a one-frame slot with its reply payload (already {@link Framing#check checked}) and writes out every reply now due. */
  void complete(Slot slot, Buffer payload) {
    slot.payload = payload;
    fill(slot);
  }

  /** Fills a batch's slot: {@code payloads[i]} answers its frame {@code i}. */
  void complete(Slot slot, Buffer[] payloads) {
    if (payloads.length != slot.frames) {
      throw new IllegalArgumentException(payloads.length + " replies for " + slot.frames + " frames");
    }
    if (slot.frames == 1) {
      slot.payload = payloads[0];
    } else {
      slot.payloads = payloads;
    }
    fill(slot);
  }

  private void fill(Slot slot) {
    slot.filled = true;
    Slot head = slots.peekFirst();
    if (head == null || !head.filled) {
      return; // an older frame is still waiting for its answer
    }
    Framing framing = connection.group.framing();
    ByteBuf out = connection.alloc().ioBuffer(dueBytes(framing));
    int frames = 0;
    while ((head = slots.peekFirst()) != null && head.filled) {
      if (head.payloads == null) {
        write(out, framing, head.payload);
      } else {
        for (Buffer payload : head.payloads) {
          write(out, framing, payload);
        }
      }
      slots.pollFirst();
      frames += head.frames;
    }
    pending -= frames;
    connection.writeReplies(out, frames);
  }

  /** The framed size of the replies now due, so that the socket buffer is allocated once. */
  private int dueBytes(Framing framing) {
    long bytes = 0;
    for (Slot slot : slots) {
      if (!slot.filled) {
        break;
      }
      if (slot.payloads == null) {
        bytes += slot.payload.length() + framing.overhead();
      } else {
        for (Buffer payload : slot.payloads) {
          bytes += payload.length() + framing.overhead();
        }
      }
      if (bytes >= Integer.MAX_VALUE / 2) {
        break; // the buffer grows beyond this if it must
      }
    }
    return (int) bytes;
  }

  private static void write(ByteBuf out, Framing framing, Buffer payload) {
    framing.writeHeader(out, payload.length());
    out.writeBytes(((BufferInternal) payload).getByteBuf());
    framing.writeTrailer(out);
  }
}
