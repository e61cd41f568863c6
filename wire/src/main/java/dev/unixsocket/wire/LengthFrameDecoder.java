package dev.unixsocket.wire;

import io.vertx.core.buffer.Buffer;

import java.util.function.Consumer;

/** Decoder for {@link Framing#LENGTH}: 4-byte unsigned big-endian length, then the payload. */
final class LengthFrameDecoder implements FrameDecoder {

  private static final int HEADER = 4;
  /** First allocation for a frame split across reads; it grows with what actually arrives. */
  private static final int INITIAL_PARTIAL = 64 * 1024;

  private final int maxFrame;
  /** Bytes of an incomplete header or frame (header included); null when between frames. */
  private Buffer partial;
  /** Payload length of the frame in {@link #partial}, or -1 while its header is incomplete. */
  private int expected = -1;

  LengthFrameDecoder(int maxFrame) {
    if (maxFrame < 0) {
      throw new IllegalArgumentException("maxFrame must be >= 0, was " + maxFrame);
    }
    this.maxFrame = maxFrame;
  }

  @Override
  public void decode(Buffer chunk, Consumer<Buffer> frames) {
    int pos = 0;
    int len = chunk.length();
    if (partial != null) {
      pos = completePartial(chunk, frames);
      if (partial != null) {
        return; // the whole chunk went into the partial frame
      }
    }
    // Fast path: frames wholly inside this chunk are handed out as slices.
    while (len - pos >= HEADER) {
      int size = checkedLength(chunk.getUnsignedInt(pos));
      int end = pos + HEADER + size;
      if (end > len) {
        break;
      }
      frames.accept(chunk.slice(pos + HEADER, end));
      pos = end;
    }
    if (pos < len) {
      startPartial(chunk, pos, len);
    }
  }

  /** Moves bytes from the chunk into the partial frame; returns the chunk position reached. */
  private int completePartial(Buffer chunk, Consumer<Buffer> frames) {
    int len = chunk.length();
    int pos = 0;
    if (expected < 0) {
      int take = Math.min(HEADER - partial.length(), len);
      partial.appendBuffer(chunk, 0, take);
      pos = take;
      if (partial.length() < HEADER) {
        return pos;
      }
      expected = checkedLength(partial.getUnsignedInt(0));
      // Keep only the payload from here on, in a buffer sized for what may arrive.
      partial = Buffer.buffer(Math.min(expected, INITIAL_PARTIAL));
    }
    int take = Math.min(expected - partial.length(), len - pos);
    partial.appendBuffer(chunk, pos, take);
    pos += take;
    if (partial.length() == expected) {
      Buffer frame = partial;
      partial = null;
      expected = -1;
      frames.accept(frame);
    }
    return pos;
  }

  private void startPartial(Buffer chunk, int pos, int len) {
    if (len - pos < HEADER) {
      partial = Buffer.buffer(HEADER).appendBuffer(chunk, pos, len - pos);
      expected = -1;
    } else {
      // The header is here (and was checked above); copy the payload bytes seen so far.
      expected = chunk.getInt(pos);
      partial = Buffer.buffer(Math.min(expected, INITIAL_PARTIAL)).appendBuffer(chunk, pos + HEADER, len - pos - HEADER);
    }
  }

  private int checkedLength(long size) {
    // Checked before anything is allocated: a bogus header never costs its claimed size.
    if (size > maxFrame) {
      throw new FrameTooLargeException(size, maxFrame);
    }
    return (int) size;
  }

  @Override
  public int buffered() {
    if (partial == null) {
      return 0;
    }
    return expected < 0 ? partial.length() : HEADER + partial.length();
  }
}
