package dev.unixsocket.wire;

/**
 * The control frames of {@link Framing#LENGTH} framing (see docs/protocol.md). A 4-byte header
 * whose top bit is set is never a data length (max-frame is below 2^31): byte 0 is {@code 0x80}
 * (the other 7 bits are reserved and must be 0), byte 1 the code, bytes 2-3 the payload length L,
 * unsigned big-endian, at most {@link #MAX_PAYLOAD}; then L bytes. A peer is sent control frames
 * only after it sent {@link #HELLO}, so plain peers never see one. Control frames take no place
 * in reply matching or ordering.
 */
public enum Control {
  /** Peer to server, payload: the protocol version (1). "I understand control frames." */
  HELLO(0x01),
  /** Server to a peer that said HELLO, empty: "I am draining; write no more data frames here." */
  GOAWAY(0x02),
  /** Peer to server, empty: "I have written my last data frame on this connection." */
  DONE(0x03),
  /** New server to old server, empty: "I own the path now; drain and exit." */
  TAKEOVER(0x04),
  /** Old server to new server, empty: the answer to TAKEOVER. */
  TAKEOVER_OK(0x05),
  /** Any direction, payload: the reason, in UTF-8. */
  REFUSED(0x06);

  /** Byte 0 of every control frame: the top bit set, the reserved bits clear. */
  public static final int MARKER = 0x80;
  /** Largest control payload. */
  public static final int MAX_PAYLOAD = 1024;
  /** The protocol version a HELLO carries. */
  public static final int VERSION = 1;

  private static final Control[] BY_CODE = new Control[256];

  static {
    for (Control c : values()) {
      BY_CODE[c.code] = c;
    }
  }

  private final int code;

  Control(int code) {
    this.code = code;
  }

  /** The code byte on the wire. */
  public int code() {
    return code;
  }

  /**
   * The control frame with this code byte.
   *
   * @throws BadFrameException for a code this side does not know
   */
  public static Control of(int code) {
    Control c = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    if (c == null) {
      throw new BadFrameException(String.format("control frame with unknown code 0x%02x", code));
    }
    return c;
  }
}
