package dev.unixsocket.client;

import dev.unixsocket.wire.FrameTooLargeException;
import io.vertx.core.buffer.Buffer;

import java.util.function.Consumer;

/**
 * Stand-in for the codec's control frames (wire's Control, FrameReader) until it lands: the
 * layout of the shared contract, and a length-framing reader that tells them from data frames.
 */
final class ControlFrames {

  static final int HELLO = 0x01;
  static final int GOAWAY = 0x02;
  static final int DONE = 0x03;
  private static final int MAX_PAYLOAD = 1024;

  /** Receives a control frame's code and payload. */
  interface Handler {
    void control(int code, Buffer payload);
  }

  private final int maxFrame;
  private final Consumer<Buffer> data;
  private final Handler control;
  private Buffer pending = Buffer.buffer();

  ControlFrames(int maxFrame, Consumer<Buffer> data, Handler control) {
    this.maxFrame = maxFrame;
    this.data = data;
    this.control = control;
  }

  static void append(Buffer out, int code, byte... payload) {
    out.appendUnsignedByte((short) 0x80).appendUnsignedByte((short) code).appendUnsignedShort(payload.length).appendBytes(payload);
  }

  void decode(Buffer chunk) {
    Buffer in = pending.length() == 0 ? chunk : pending.appendBuffer(chunk);
    int pos = 0;
    while (in.length() - pos >= 4) {
      long header = in.getUnsignedInt(pos);
      if ((header & 0x80000000L) != 0) {
        int length = (int) (header & 0xffff);
        if ((header >>> 24) != 0x80 || length > MAX_PAYLOAD) {
          throw new FrameTooLargeException(header, maxFrame);
        }
        if (in.length() - pos - 4 < length) {
          break;
        }
        control.control((int) ((header >>> 16) & 0xff), in.getBuffer(pos + 4, pos + 4 + length));
        pos += 4 + length;
        continue;
      }
      if (header > maxFrame) {
        throw new FrameTooLargeException(header, maxFrame);
      }
      if (in.length() - pos - 4 < header) {
        break;
      }
      data.accept(in.getBuffer(pos + 4, pos + 4 + (int) header));
      pos += 4 + (int) header;
    }
    pending = in.getBuffer(pos, in.length());
  }
}
