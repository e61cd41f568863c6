package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/** Stand-in for the codec's control frames (wire's Control) until it lands: the layout of the shared contract. */
final class ControlBytes {

  static final int HELLO = 0x01;
  static final int GOAWAY = 0x02;
  static final int DONE = 0x03;
  static final int TAKEOVER = 0x04;
  static final int TAKEOVER_OK = 0x05;
  static final int REFUSED = 0x06;
  static final int MAX_PAYLOAD = 1024;

  private ControlBytes() {
  }

  static ByteBuf encode(int code, byte[] payload) {
    ByteBuf out = Unpooled.buffer(4 + payload.length);
    out.writeByte(0x80).writeByte(code).writeShort(payload.length).writeBytes(payload);
    return out;
  }

  static ByteBuf encode(int code) {
    return encode(code, new byte[0]);
  }

  static ByteBuf refused(String reason) {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] cut = r.length <= MAX_PAYLOAD ? r : java.util.Arrays.copyOf(r, MAX_PAYLOAD);
    return encode(REFUSED, cut);
  }
}
