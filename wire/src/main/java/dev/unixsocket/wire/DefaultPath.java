package dev.unixsocket.wire;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The socket path used when none is given, the same for server and client:
 * {@code $XDG_RUNTIME_DIR/unixsocket.sock} when that directory exists (private to the user,
 * cleaned at logout), else {@code /tmp/unixsocket.sock}.
 */
public final class DefaultPath {

  /** The fallback when XDG_RUNTIME_DIR is unset. */
  public static final String TMP = "/tmp/unixsocket.sock";
  public static final String FILE_NAME = "unixsocket.sock";

  private DefaultPath() {
  }

  public static String get() {
    return of(System.getenv("XDG_RUNTIME_DIR"));
  }

  static String of(String runtimeDir) {
    if (runtimeDir != null && !runtimeDir.isBlank() && Files.isDirectory(Path.of(runtimeDir))) {
      return Path.of(runtimeDir, FILE_NAME).toString();
    }
    return TMP;
  }
}
