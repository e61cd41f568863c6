package dev.unixsocket.server;

/**
 * A server could not start for a reason the user can fix (path in use, bad path, permission).
 * The message is one line naming the thing and the fix; the launcher prints it without a stack trace.
 */
public final class ServerStartException extends RuntimeException {

  public ServerStartException(String message) {
    super(message, null, false, false);
  }
}
