package dev.unixsocket.wire;

/**
 * What was read is not a frame this side accepts (a control frame with reserved bits or an
 * unknown code, a payload over its limit): the stream cannot be resynchronised, so the
 * connection it came on is closed, after answering what was read before it.
 */
public class BadFrameException extends RuntimeException {

  public BadFrameException(String message) {
    // No stack trace: a bad peer is an expected event, and the message says all.
    super(message, null, false, false);
  }
}
