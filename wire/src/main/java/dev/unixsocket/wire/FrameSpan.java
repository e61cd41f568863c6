package dev.unixsocket.wire;

/**
 * Where {@link Framing#find} found the next frame in a buffer, or how far it looked. Mutable and
 * meant to be reused: one per event loop, so that finding a frame allocates nothing.
 */
public final class FrameSpan {

  /** The control frame found, or null for a data frame. */
  public Control control;
  /** Index of the frame's first payload byte in the buffer. */
  public int payloadIndex;
  /** Payload length: what the handler gets, without the length header or the line ending. */
  public int payloadLength;
  /** Bytes the whole frame takes on the wire: skip these to reach the next frame. */
  public int frameLength;
  /**
   * When no complete frame was found: how many bytes from the reader index were already searched
   * (line framing), to pass back in on the next call so that a long line is searched once.
   */
  public int searched;
  /**
   * When no complete frame was found and the next one is a data frame whose length header has
   * arrived (length framing): its payload length, so that a handler may take the payload as it
   * arrives; else -1.
   */
  public int incompleteLength = -1;
}
