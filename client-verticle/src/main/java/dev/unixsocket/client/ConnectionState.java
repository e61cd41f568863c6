package dev.unixsocket.client;

/**
 * Where a {@link ClientVerticle}'s connection stands. Every change is logged as
 * {@code from -> to (reason)} and published as JSON on the status address.
 */
public enum ConnectionState {
  /** A connect to the socket path is under way. */
  CONNECTING,
  /** Connected: queued messages are being written. */
  CONNECTED,
  /** No connection: messages wait in the queue; a reconnect is scheduled unless the client gave up. */
  DISCONNECTED,
  /** The verticle was undeployed: nothing more happens. */
  STOPPED
}
