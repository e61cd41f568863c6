package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Reads the frames of one connection's byte stream with {@link Framing#find}, whatever the reads
 * cut: a frame is handed over in place as soon as its last byte has arrived, and only an
 * incomplete frame is kept across reads. One reader per connection, used from one thread.
 *
 * <p>Feed it Netty buffers ({@link #read(ByteBuf, ByteBufAllocator)}, which takes them over) or
 * Vert.x buffers ({@link #read(Buffer)}). A frame's bytes are valid during the handler call only:
 * copy them, or retain a slice, to keep them.
 */
public final class FrameReader {

  /** Receives each data frame: its payload is {@code length} bytes of {@code data} at {@code index}. */
  @FunctionalInterface
  public interface DataHandler {
    void frame(ByteBuf data, int index, int length);
  }

  /**
   * Receives each {@link Control} frame, in stream order with the data frames: its payload is
   * {@code length} bytes of {@code data} at {@code index}.
   */
  @FunctionalInterface
  public interface ControlHandler {
    void control(Control code, ByteBuf data, int index, int length);
  }

  /** For peers that never said HELLO, so must never be sent a control frame: one is a bad frame. */
  private static final ControlHandler REFUSE = (code, data, index, length) -> {
    throw new BadFrameException("control frame " + code + " where none is expected");
  };

  /** An incomplete frame larger than this is gathered as a composite of the reads, not copied. */
  private static final int COMPOSITE_ABOVE = 8192;
  /**
   * For Vert.x buffers, which are heap buffers nobody releases: the incomplete frame is kept in
   * heap memory the garbage collector reclaims, so a dropped reader leaks nothing.
   */
  private static final ByteBufAllocator HEAP = new UnpooledByteBufAllocator(false, true);

  private final Framing framing;
  private final int maxFrame;
  private final DataHandler data;
  private final ControlHandler control;
  private final FrameSpan span = new FrameSpan();
  /** The bytes of an incomplete frame, kept across reads; null between frames. */
  private ByteBuf partial;
  private boolean closed;

  /** A reader that refuses control frames (as a {@link BadFrameException}). */
  public FrameReader(Framing framing, int maxFrame, DataHandler data) {
    this(framing, maxFrame, data, REFUSE);
  }

  /** A reader that hands data frames and control frames to their handlers, in stream order. */
  public FrameReader(Framing framing, int maxFrame, DataHandler data, ControlHandler control) {
    if (maxFrame < 0) {
      throw new IllegalArgumentException("maxFrame must be >= 0, was " + maxFrame);
    }
    this.framing = framing;
    this.maxFrame = maxFrame;
    this.data = data;
    this.control = control;
  }

  /**
   * Reads the frames completed by {@code in}, which this reader takes over (and releases).
   *
   * @param alloc where to gather an incomplete frame that outgrows the read it started in
   * @return the number of data frames handed over
   * @throws BadFrameException (or {@link FrameTooLargeException}) the stream cannot be
   *     resynchronised: close the connection (the reader is closed by then)
   */
  public int read(ByteBuf in, ByteBufAllocator alloc) {
    if (closed) {
      in.release();
      return 0;
    }
    ByteBuf bytes = partial == null ? in : cumulate(alloc, partial, in);
    partial = null;
    int frames = 0;
    try {
      while (!closed && framing.find(bytes, maxFrame, span.searched, span)) {
        Control code = span.control;
        int index = span.payloadIndex;
        int length = span.payloadLength;
        // Consumed before the handler runs: a handler that throws does not get the frame twice.
        bytes.skipBytes(span.frameLength);
        span.searched = 0;
        if (code != null) {
          control.control(code, bytes, index, length);
        } else {
          frames++;
          data.frame(bytes, index, length);
        }
      }
    } catch (BadFrameException e) {
      closed = true;
      throw e;
    } finally {
      keep(bytes);
    }
    return frames;
  }

  private void keep(ByteBuf bytes) {
    if (closed || !bytes.isReadable()) {
      bytes.release();
      return;
    }
    if (bytes instanceof CompositeByteBuf && bytes.refCnt() == 1) {
      // Keep only the reads the incomplete frame is in; not while a slice still shares them.
      ((CompositeByteBuf) bytes).discardReadComponents();
    }
    partial = bytes;
  }

  /**
   * Reads the frames completed by a Vert.x buffer (a socket read); the buffer itself is left as
   * it was.
   *
   * @see #read(ByteBuf, ByteBufAllocator)
   */
  public int read(Buffer chunk) {
    // getByteBuf() is a slice of the chunk's bytes with indexes of its own.
    return read(((BufferInternal) chunk).getByteBuf(), HEAP);
  }

  /**
   * Appends a read to the incomplete frame kept from earlier reads: small ones are copied together,
   * a large frame (a 64 KiB payload spans several reads) is gathered without copying.
   */
  private static ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf partial, ByteBuf in) {
    if (partial instanceof CompositeByteBuf || partial.readableBytes() + in.readableBytes() > COMPOSITE_ABOVE) {
      return ByteToMessageDecoder.COMPOSITE_CUMULATOR.cumulate(alloc, partial, in);
    }
    return ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, partial, in);
  }

  /** Bytes read that do not form a complete frame yet. */
  public int buffered() {
    return partial == null ? 0 : partial.readableBytes();
  }

  /** Drops the incomplete frame and reads nothing more; safe to call from a handler. */
  public void close() {
    closed = true;
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }
}
