package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.function.Consumer;

/** Decoder for {@link Framing#LINE}: payload then {@code \n}; a {@code \r} before it is dropped. */
final class LineFrameDecoder implements FrameDecoder {

  private final int maxFrame;
  /** Start of a line that began in an earlier chunk; null when between lines. */
  private Buffer partial;

  LineFrameDecoder(int maxFrame) {
    if (maxFrame < 0) {
      throw new IllegalArgumentException("maxFrame must be >= 0, was " + maxFrame);
    }
    this.maxFrame = maxFrame;
  }

  @Override
  public void decode(Buffer chunk, Consumer<Buffer> frames) {
    // Netty's SWAR newline search beats a byte loop through the Buffer API.
    ByteBuf bytes = ((BufferInternal) chunk).getByteBuf();
    int base = bytes.readerIndex();
    int len = chunk.length();
    int pos = 0;
    while (pos < len) {
      int nl = bytes.forEachByte(base + pos, len - pos, ByteProcessor.FIND_LF);
      if (nl < 0) {
        break;
      }
      nl -= base;
      if (partial == null) {
        emit(chunk.slice(pos, nl), frames);
      } else {
        Buffer line = partial.appendBuffer(chunk, pos, nl - pos);
        partial = null;
        emit(line, frames);
      }
      pos = nl + 1;
    }
    if (pos < len) {
      int pending = (partial == null ? 0 : partial.length()) + (len - pos);
      // A line may end with "\r", which is dropped: allow one byte over until the newline shows.
      checkSize(pending - 1);
      if (partial == null) {
        partial = Buffer.buffer(Math.max(64, len - pos));
      }
      partial.appendBuffer(chunk, pos, len - pos);
    }
  }

  private void emit(Buffer line, Consumer<Buffer> frames) {
    int n = line.length();
    if (n > 0 && line.getByte(n - 1) == '\r') {
      line = line.slice(0, n - 1);
    }
    checkSize(line.length());
    frames.accept(line);
  }

  private void checkSize(long size) {
    if (size > maxFrame) {
      throw new FrameTooLargeException(size, maxFrame);
    }
  }

  @Override
  public int buffered() {
    return partial == null ? 0 : partial.length();
  }
}
