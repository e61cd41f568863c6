package dev.unixsocket.wire;

import java.nio.charset.StandardCharsets;

/** The rule every socket path must meet, checked in one place for server, client and tools. */
public final class SocketPath {

  /** The kernel's limit for a socket path: sun_path holds 108 bytes including the final NUL. */
  public static final int MAX_BYTES = 107;

  private SocketPath() {
  }

  /**
   * Returns {@code path} if it can name a Unix socket.
   *
   * @throws IllegalArgumentException naming the rule and a fix
   */
  public static String check(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("path must not be empty");
    }
    int bytes = bytes(path);
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException("socket path is " + bytes + " bytes, over the kernel's limit of "
          + MAX_BYTES + ": " + path + "; use a shorter path such as /tmp/app.sock");
    }
    return path;
  }

  /** The path's length as the kernel counts it. */
  public static int bytes(String path) {
    return path.getBytes(StandardCharsets.UTF_8).length;
  }
}
