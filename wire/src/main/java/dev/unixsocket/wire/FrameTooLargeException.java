package dev.unixsocket.wire;

/** A frame exceeds the configured max-frame; the connection it came on cannot be resynchronised. */
public final class FrameTooLargeException extends BadFrameException {

  private final long length;
  private final int maxFrame;

  public FrameTooLargeException(long length, int maxFrame) {
    super("frame of " + length + " bytes exceeds max-frame " + maxFrame);
    this.length = length;
    this.maxFrame = maxFrame;
  }

  /** The announced length (length framing) or the bytes seen without a newline (line framing). */
  public long length() {
    return length;
  }

  public int maxFrame() {
    return maxFrame;
  }
}
