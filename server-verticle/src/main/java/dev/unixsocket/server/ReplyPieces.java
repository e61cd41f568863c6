package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.unix.IovArray;

/**
 * A batch of replies whose payloads stay where they were read: the bytes of the reply buffer
 * (heads, small replies) and of the read buffer (payloads) in the order they go out, as offsets
 * and lengths, so that one {@code writev} sends them without a copy and without an object per
 * payload (slices of the read cost as much as copying payloads of 16 KiB; bench/NOTES.md). What
 * the socket does not take is copied out ({@link #copy}) before the read buffer is reused.
 */
final class ReplyPieces {

  private final ByteBuf read;
  private final ByteBuf reply;
  private final int[] offsets;
  private final int[] lengths;
  /** Per piece: in {@link #read}, else in {@link #reply}. */
  private final boolean[] inRead;
  private int count;
  /** The reply buffer's bytes before this offset are in pieces. */
  private int replyMark;
  private long bytes;

  ReplyPieces(ByteBuf read, ByteBuf reply, int capacity) {
    this.read = read;
    this.reply = reply;
    offsets = new int[capacity];
    lengths = new int[capacity];
    inRead = new boolean[capacity];
  }

  /** Room for one more payload and the end. */
  boolean hasRoom() {
    return count + 3 <= offsets.length;
  }

  /** The reply buffer's bytes so far, then {@code length} bytes of the read buffer at {@code index}. */
  void payload(int index, int length) {
    replyUpTo(reply.writerIndex());
    add(true, index, length);
  }

  /** The reply buffer is complete: its bytes after the last payload end the pieces (if any). */
  void end() {
    if (count > 0) {
      replyUpTo(reply.writerIndex());
    }
  }

  private void replyUpTo(int end) {
    if (end > replyMark) {
      add(false, replyMark, end - replyMark);
      replyMark = end;
    }
  }

  private void add(boolean fromRead, int offset, int length) {
    offsets[count] = offset;
    lengths[count] = length;
    inRead[count] = fromRead;
    count++;
    bytes += length;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** Bytes in all pieces. */
  long bytes() {
    return bytes;
  }

  /** Adds the pieces to {@code iov}; false if it took only some. */
  boolean addTo(IovArray iov) {
    for (int i = 0; i < count; i++) {
      if (!iov.add(inRead[i] ? read : reply, offsets[i], lengths[i])) {
        return false;
      }
    }
    return true;
  }

  /** The pieces' bytes after the first {@code skip}, copied into a buffer of their own. */
  ByteBuf copy(ByteBufAllocator alloc, long skip) {
    ByteBuf own = alloc.directBuffer((int) (bytes - skip));
    for (int i = 0; i < count; i++) {
      int length = lengths[i];
      if (skip >= length) {
        skip -= length;
        continue;
      }
      own.writeBytes(inRead[i] ? read : reply, offsets[i] + (int) skip, length - (int) skip);
      skip = 0;
    }
    return own;
  }

  /** Empty again: the reply buffer was given back (sent, copied out, or dropped unsent). */
  void clear() {
    count = 0;
    replyMark = 0;
    bytes = 0;
  }
}
