package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.Locale;

/**
 * How messages are delimited on the byte stream, and the one codec for both ways:
 * <ul>
 *   <li>{@link #LENGTH}: a 4-byte unsigned big-endian payload length N, then N bytes.</li>
 *   <li>{@link #LINE}: the payload, then {@code \n}; a {@code \r} before the {@code \n} is dropped.</li>
 * </ul>
 * Reading: {@link #find} is the cursor, finding the frame at a Netty buffer's reader index in
 * place ({@link FrameReader} drives it across reads). Writing: {@link #writeHeader} and
 * {@link #writeTrailer} around a payload in a Netty buffer, {@link #appendChecked} for a Vert.x
 * one; {@link #writeControl} and {@link #appendControl} for {@link Control} frames, which only
 * length framing has.
 */
public enum Framing {

  LENGTH {
    @Override
    public void check(Buffer payload) {
      // any bytes can be carried
    }

    @Override
    public void appendChecked(Buffer payload, Buffer out) {
      out.appendInt(payload.length()).appendBuffer(payload);
    }

    @Override
    public int overhead() {
      return 4;
    }

    @Override
    public boolean find(ByteBuf in, int maxFrame, int searched, FrameSpan span) {
      span.searched = 0;
      span.incompleteLength = -1;
      if (in.readableBytes() < 4) {
        return false;
      }
      int at = in.readerIndex();
      // One read of the header for both questions: each ByteBuf call checks the buffer's reference
      // count and bounds, several a frame at 64 B (bench/NOTES.md, "Netty's checks per frame").
      int header = in.getInt(at);
      int first = header >>> 24;
      if (first >= Control.MARKER) {
        return findControl(in, at, first, span); // the top bit is never set in a data length
      }
      // Refuse a header over max-frame at once, before any of its payload is buffered.
      long length = header; // the top bit is clear: not negative
      if (length > maxFrame) {
        throw new FrameTooLargeException(length, maxFrame);
      }
      if (in.readableBytes() - 4 < length) {
        span.incompleteLength = (int) length;
        return false;
      }
      span.control = null;
      span.payloadIndex = at + 4;
      span.payloadLength = (int) length;
      span.frameLength = 4 + (int) length;
      return true;
    }

    private boolean findControl(ByteBuf in, int at, int first, FrameSpan span) {
      if (first != Control.MARKER) {
        throw new BadFrameException(String.format("control frame with reserved bits set (first byte 0x%02x)", first));
      }
      Control code = Control.of(in.getUnsignedByte(at + 1));
      int length = in.getUnsignedShort(at + 2);
      if (length > Control.MAX_PAYLOAD) {
        throw new BadFrameException("control frame " + code + " with a payload of " + length
            + " bytes, over the limit of " + Control.MAX_PAYLOAD);
      }
      if (in.readableBytes() - 4 < length) {
        return false;
      }
      span.control = code;
      span.payloadIndex = at + 4;
      span.payloadLength = length;
      span.frameLength = 4 + length;
      return true;
    }

    @Override
    public void writeControl(ByteBuf out, Control code, ByteBuf payload) {
      int length = payload == null ? 0 : payload.readableBytes();
      checkControlPayload(length);
      out.writeByte(Control.MARKER).writeByte(code.code()).writeShort(length);
      if (payload != null) {
        out.writeBytes(payload, payload.readerIndex(), length);
      }
    }

    @Override
    public void appendControl(Buffer out, Control code, Buffer payload) {
      int length = payload == null ? 0 : payload.length();
      checkControlPayload(length);
      out.appendUnsignedByte((short) Control.MARKER).appendUnsignedByte((short) code.code()).appendUnsignedShort(length);
      if (payload != null) {
        out.appendBuffer(payload);
      }
    }

    private void checkControlPayload(int length) {
      if (length > Control.MAX_PAYLOAD) {
        throw new IllegalArgumentException("a control payload holds at most " + Control.MAX_PAYLOAD
            + " bytes, not " + length);
      }
    }

    @Override
    public void writeHeader(ByteBuf out, int payloadLength) {
      out.writeInt(payloadLength);
    }

    @Override
    public int putHeader(long address, int payloadLength) {
      PlatformDependent.putInt(address, PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? payloadLength : Integer.reverseBytes(payloadLength));
      return 4;
    }

    @Override
    public int putTrailer(long address) {
      return 0;
    }

    @Override
    public void writeTrailer(ByteBuf out) {
    }
  },

  LINE {
    @Override
    public void check(Buffer payload) {
      checkNoNewline(payload);
    }

    @Override
    public void appendChecked(Buffer payload, Buffer out) {
      out.appendBuffer(payload).appendByte((byte) '\n');
    }

    /** A newline inside a payload would arrive as two frames and break request/reply pairing. */
    private void checkNoNewline(Buffer payload) {
      ByteBuf bytes = ((BufferInternal) payload).getByteBuf();
      int at = bytes.forEachByte(ByteProcessor.FIND_LF);
      if (at >= 0) {
        throw new IllegalArgumentException("line framing cannot carry a payload that contains a newline (byte "
            + (at - bytes.readerIndex()) + ")");
      }
    }

    @Override
    public int overhead() {
      return 1;
    }

    @Override
    public boolean find(ByteBuf in, int maxFrame, int searched, FrameSpan span) {
      span.incompleteLength = -1; // a line's length is known at its end only
      int at = in.readerIndex();
      int readable = in.readableBytes();
      int nl = in.forEachByte(at + searched, readable - searched, ByteProcessor.FIND_LF);
      if (nl < 0) {
        // A line may end with "\r", which is dropped: allow one byte over until the newline shows.
        if (readable - 1 > maxFrame) {
          throw new FrameTooLargeException(readable, maxFrame);
        }
        span.searched = readable;
        return false;
      }
      int length = nl - at;
      if (length > 0 && in.getByte(nl - 1) == '\r') {
        length--;
      }
      if (length > maxFrame) {
        throw new FrameTooLargeException(length, maxFrame);
      }
      span.control = null;
      span.payloadIndex = at;
      span.payloadLength = length;
      span.frameLength = nl - at + 1;
      return true;
    }

    @Override
    public void writeControl(ByteBuf out, Control code, ByteBuf payload) {
      throw new IllegalStateException("line framing has no control frames");
    }

    @Override
    public void appendControl(Buffer out, Control code, Buffer payload) {
      throw new IllegalStateException("line framing has no control frames");
    }

    @Override
    public void writeHeader(ByteBuf out, int payloadLength) {
    }

    @Override
    public void writeTrailer(ByteBuf out) {
      out.writeByte('\n');
    }

    @Override
    public int putHeader(long address, int payloadLength) {
      return 0;
    }

    @Override
    public int putTrailer(long address) {
      PlatformDependent.putByte(address, (byte) '\n');
      return 1;
    }
  };

  /** Largest frame payload accepted by default: 10 MiB, as in the original Go project. */
  public static final int DEFAULT_MAX_FRAME = 10 * 1024 * 1024;

  /**
   * Checks that this framing can carry {@code payload} (line framing: no newline inside).
   *
   * @throws IllegalArgumentException stating why not
   */
  public abstract void check(Buffer payload);

  /**
   * Appends one frame carrying a payload that already passed {@link #check}: for code that
   * checks a message when it is accepted and frames it later, so the check runs once.
   */
  public abstract void appendChecked(Buffer payload, Buffer out);

  /**
   * Finds the frame at the reader index of {@code in}, for code that reads frames in place from
   * Netty buffers: on success fills {@code span} (with {@code span.control} set for a
   * {@link Control} frame, null for a data frame) and returns true, consuming nothing; without a
   * complete frame returns false and sets {@code span.searched}. Allocates nothing. A bad frame
   * is refused as soon as its header shows it: a data frame over {@code maxFrame} (from the
   * length header, or from the bytes seen without a newline), a control frame with reserved bits
   * set, an unknown code, or a payload over {@link Control#MAX_PAYLOAD}.
   *
   * @param searched {@code span.searched} from the previous call while the buffer holds the same
   *     incomplete frame (more bytes appended), else 0
   * @throws FrameTooLargeException a data frame over max-frame: close the connection
   * @throws BadFrameException any other bad frame: close the connection
   */
  public abstract boolean find(ByteBuf in, int maxFrame, int searched, FrameSpan span);

  /** Writes what goes before a payload of this length (the length header, or nothing). */
  public abstract void writeHeader(ByteBuf out, int payloadLength);

  /** Writes what goes after a payload (the newline, or nothing). */
  public abstract void writeTrailer(ByteBuf out);

  /**
   * {@link #writeHeader} at a memory address, unchecked, for code that writes into memory it owns
   * and has made room in (at most {@link #overhead()} bytes): the bytes written.
   */
  public abstract int putHeader(long address, int payloadLength);

  /** {@link #writeTrailer} at a memory address, unchecked, as {@link #putHeader}: the bytes written. */
  public abstract int putTrailer(long address);

  /**
   * Writes one control frame; {@code payload} (its readable bytes, or null for none) is not consumed.
   *
   * @throws IllegalStateException under line framing, which has no control frames
   * @throws IllegalArgumentException for a payload over {@link Control#MAX_PAYLOAD}
   */
  public abstract void writeControl(ByteBuf out, Control code, ByteBuf payload);

  /** {@link #writeControl} for a Vert.x buffer. */
  public abstract void appendControl(Buffer out, Control code, Buffer payload);

  /** Writes one whole frame carrying {@code length} bytes of {@code payload} at {@code index}, which must pass {@link #check}. */
  public void writeFrame(ByteBuf out, ByteBuf payload, int index, int length) {
    writeHeader(out, length);
    out.writeBytes(payload, index, length);
    writeTrailer(out);
  }

  /** Bytes the framing adds to each payload on the wire. */
  public abstract int overhead();

  /** The lower-case name used in options and on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code length} or {@code line}, in any case. */
  public static Framing of(String name) {
    if (name != null) {
      for (Framing f : values()) {
        if (f.name().equalsIgnoreCase(name.trim())) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException("unknown framing '" + name + "': use length or line");
  }
}
