package dev.unixsocket.server;

/**
 * Headers of the event-bus requests the server sends to its inbound address with
 * {@link FrameHandler#EVENTBUS}: which connection, socket and peer a frame came from.
 */
public final class InboundHeaders {

  /** The connection's number, unique within this server process. */
  public static final String CONNECTION = "uds.connection";
  /** The socket path the frame came in on. */
  public static final String PATH = "uds.path";
  /** The peer's uid, where the transport tells it (epoll, io_uring, NIO). */
  public static final String PEER_UID = "uds.peer.uid";
  /** The peer's pid, where the transport tells it (epoll, io_uring). */
  public static final String PEER_PID = "uds.peer.pid";

  private InboundHeaders() {
  }
}
