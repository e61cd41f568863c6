package dev.unixsocket.testkit;

import java.nio.file.Path;
import java.util.UUID;

/** Socket paths for tests: unique, and short on purpose (the kernel's limit is 107 bytes). */
public final class SocketPaths {

  private SocketPaths() {
  }

  /** A path in /tmp that no other test uses: {@code /tmp/uds-XXXXXXXX.sock}. Nothing is created. */
  public static Path fresh() {
    return Path.of("/tmp/uds-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  }
}
