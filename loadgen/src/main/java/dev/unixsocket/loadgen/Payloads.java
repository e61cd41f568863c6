package dev.unixsocket.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * Payloads that differ from frame to frame, cheap to write: frame {@code seq} starts with the low
 * hex digits of {@code seq} (up to 16 characters) and continues with an alphanumeric pattern that
 * starts at a position depending on {@code seq}, copied from one shared buffer (a memcpy, not a
 * byte loop). Only ASCII letters and digits, so the same payloads work for line framing.
 * Thread-safe: the pattern is read-only.
 */
final class Payloads {

  static final int STAMP = 16;
  private static final byte[] HEX = "0123456789abcdef".getBytes();
  private static final byte[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".getBytes();

  private final int size;
  private final int stampLength;
  /**
   * {@code size + ALPHABET.length} bytes of the repeating alphabet, twice: an array to copy from
   * (Netty copies an array into a direct buffer with one memory copy, but makes a new NIO slice
   * per call to copy from a direct ByteBuf) and a direct buffer to compare with. Never written
   * after construction.
   */
  private final byte[] patternBytes;
  private final ByteBuf pattern;

  Payloads(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, was " + size);
    }
    this.size = size;
    this.stampLength = Math.min(STAMP, size);
    int n = size + ALPHABET.length;
    this.patternBytes = new byte[n];
    for (int i = 0; i < n; i++) {
      patternBytes[i] = ALPHABET[i % ALPHABET.length];
    }
    // Not wrapped (e.g. unreleasable): a wrapper is read through a new NIO slice per comparison.
    this.pattern = Unpooled.directBuffer(n, n).writeBytes(patternBytes);
  }

  int size() {
    return size;
  }

  /** Appends the {@code size} payload bytes of frame {@code seq} to {@code out}. */
  void write(ByteBuf out, long seq) {
    if (stampLength == STAMP) {
      out.writeLong(hex8(seq >>> 32)).writeLong(hex8(seq));
    } else {
      for (int shift = 4 * (stampLength - 1); shift >= 0; shift -= 4) {
        out.writeByte(HEX[(int) (seq >>> shift) & 15]);
      }
    }
    int rest = size - stampLength;
    if (rest > 0) {
      out.writeBytes(patternBytes, (int) Long.remainderUnsigned(seq, ALPHABET.length), rest);
    }
  }

  /**
   * Compares {@code len} bytes of {@code in} at {@code index} with bytes {@code from} ..
   * {@code from + len} of the payload of frame {@code seq}; returns the payload position of the
   * first difference, or -1 when they are equal. No allocation: the stamp is compared digit by
   * digit, the rest against the shared pattern with Netty's word-at-a-time comparison.
   */
  int mismatch(ByteBuf in, int index, long seq, int from, int len) {
    int pos = from;
    int end = from + len;
    if (pos == 0 && stampLength == STAMP && end >= STAMP
        && in.getLong(index) == hex8(seq >>> 32) && in.getLong(index + 8) == hex8(seq)) {
      pos = STAMP; // the usual case: the whole stamp in this chunk, two comparisons
      index += STAMP;
    }
    for (; pos < stampLength && pos < end; pos++, index++) {
      if (in.getByte(index) != stampByte(seq, pos)) {
        return pos;
      }
    }
    if (pos < end) {
      int n = end - pos;
      int p = patternIndex(seq, pos);
      if (!ByteBufUtil.equals(in, index, pattern, p, n)) {
        for (int k = 0; k < n; k++) {
          if (in.getByte(index + k) != pattern.getByte(p + k)) {
            return pos + k;
          }
        }
      }
    }
    return -1;
  }

  /** Byte {@code pos} of the payload of frame {@code seq}. */
  byte byteAt(long seq, int pos) {
    return pos < stampLength ? stampByte(seq, pos) : pattern.getByte(patternIndex(seq, pos));
  }

  /** The 8 hex digits of the low 32 bits of {@code v}, as ASCII bytes in a big-endian long. */
  private static long hex8(long v) {
    long r = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
      r = (r << 8) | HEX[(int) (v >>> shift) & 15];
    }
    return r;
  }

  private byte stampByte(long seq, int pos) {
    return HEX[(int) (seq >>> (4 * (stampLength - 1 - pos))) & 15];
  }

  private int patternIndex(long seq, int pos) {
    return (int) Long.remainderUnsigned(seq, ALPHABET.length) + (pos - stampLength);
  }

  /** The payload of frame {@code seq} in a new array (for tests and error messages). */
  byte[] bytes(long seq) {
    ByteBuf b = Unpooled.buffer(size);
    write(b, seq);
    byte[] a = new byte[size];
    b.readBytes(a);
    return a;
  }
}
