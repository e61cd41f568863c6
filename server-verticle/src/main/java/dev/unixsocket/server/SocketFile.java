package dev.unixsocket.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The socket file at a server's path, from the checks before binding to its removal on stop.
 *
 * <p>Why the checks: with epoll, Netty's bind unlinks whatever is at the path, so a second server
 * would silently take over a live one and a regular file would be deleted. So before binding:
 * a file that is not a socket is refused, a socket that accepts a connection is refused (in use),
 * and a socket that refuses connections is stale and removed.
 *
 * <p>Why the private directory: the listener binds inside a fresh directory of mode 0700 next to
 * the target, the socket gets its mode there, and only then is it hard-linked to the public path
 * ({@code link(2)} fails if something appeared there meanwhile). So the socket is never reachable
 * with a wider mode than asked, whatever the umask. Not thread-safe; all methods block (call them
 * from a worker).
 */
final class SocketFile {

  private static final Logger log = LoggerFactory.getLogger(SocketFile.class);
  private static final Pattern WINDOWS_DRIVE = Pattern.compile("^/mnt/[a-zA-Z](/.*)?$");
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path path;
  private final int mode;
  private final Path privateDir;
  private final Path bindPath;
  /** A live server holds the path and we are to take it over ({@code --replace}). */
  private final boolean replacing;
  private Object fileKey;

  private SocketFile(Path path, int mode, Path privateDir, Path bindPath, boolean replacing) {
    this.path = path;
    this.mode = mode;
    this.privateDir = privateDir;
    this.bindPath = bindPath;
    this.replacing = replacing;
  }

  /**
   * Checks the path and clears a stale socket, then makes the private place to bind in.
   *
   * @throws ServerStartException with a one-line reason when the server cannot serve at this path
   */
  static SocketFile prepare(String pathText, int mode, boolean wsl) {
    return prepare(pathText, mode, wsl, false);
  }

  /**
   * As {@link #prepare(String, int, boolean)}; with {@code replace}, a live server at the path is
   * not refused: {@link #replacing()} says so, and {@link #publish()} renames over its socket.
   */
  static SocketFile prepare(String pathText, int mode, boolean wsl, boolean replace) {
    Path path = Paths.get(pathText).toAbsolutePath().normalize();
    String shown = path.toString();
    if (wsl && WINDOWS_DRIVE.matcher(shown).matches()) {
      throw new ServerStartException("cannot listen on " + shown + ": Windows drives do not hold Unix sockets under WSL2;"
          + " use a path such as /tmp/" + path.getFileName());
    }
    if (shown.getBytes(StandardCharsets.UTF_8).length > ServerOptions.MAX_PATH_BYTES) {
      throw new ServerStartException("cannot listen on " + shown + ": the path is longer than the kernel's limit of "
          + ServerOptions.MAX_PATH_BYTES + " bytes; use a shorter path such as /tmp/app.sock");
    }
    Path dir = path.getParent();
    if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new ServerStartException("cannot listen on " + shown + ": " + dir + " is not a directory; choose another path");
    }
    if (dir == null || !Files.isDirectory(dir)) {
      throw new ServerStartException("cannot listen on " + shown + ": directory " + dir + " does not exist; create it or choose another path");
    }
    if (!Files.isWritable(dir)) {
      throw new ServerStartException("cannot listen on " + shown + ": directory " + dir + " is not writable by this user");
    }
    warnIfOthersCanReplace(dir);
    boolean live = clearStale(path, replace);
    Path privateDir = createPrivateDir(dir);
    Path bindPath = privateDir.resolve("s");
    if (bindPath.toString().getBytes(StandardCharsets.UTF_8).length > ServerOptions.MAX_PATH_BYTES) {
      if (live) {
        deleteQuietly(privateDir);
        throw new ServerStartException("cannot replace the server at " + shown + ": --replace binds in a private directory"
            + " beside the path, and that name would exceed the kernel's limit of " + ServerOptions.MAX_PATH_BYTES
            + " bytes; use a shorter path");
      }
      // The private path would be too long for the kernel: bind at the path itself and set the
      // mode right after, accepting a short window in which the umask decides who may connect.
      deleteQuietly(privateDir);
      log.debug("{}: path too long for a private bind directory; binding in place", shown);
      return new SocketFile(path, mode, null, path, false);
    }
    return new SocketFile(path, mode, privateDir, bindPath, live);
  }

  /** True on Windows Subsystem for Linux, where /mnt/c and the like are Windows drives. */
  static boolean runningOnWsl() {
    if (System.getenv("WSL_DISTRO_NAME") != null) {
      return true;
    }
    try {
      return Files.readString(Paths.get("/proc/version")).toLowerCase(Locale.ROOT).contains("microsoft");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * A directory that others may write to, without the sticky bit, lets them delete or replace
   * our socket file with their own: say so (it still works; /tmp has the sticky bit).
   */
  static boolean warnIfOthersCanReplace(Path dir) {
    try {
      int m = (Integer) Files.getAttribute(dir, "unix:mode");
      boolean othersWrite = (m & 0002) != 0;
      boolean sticky = (m & 01000) != 0;
      if (othersWrite && !sticky) {
        log.warn("{}: directory is writable by other users and has no sticky bit: they can delete or replace the socket;"
            + " use a private directory such as $XDG_RUNTIME_DIR", dir);
        return true;
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cannot read the mode of {}: {}", dir, e.toString());
    }
    return false;
  }

  /** Removes a stale socket; returns true when a live one is there and {@code replace} allows that. */
  private static boolean clearStale(Path path, boolean replace) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new ServerStartException("cannot listen on " + path + ": cannot inspect the existing file (" + e.getMessage() + ")");
    }
    if (!isSocket(path, attrs)) {
      throw new ServerStartException("cannot listen on " + path + ": the path exists and is not a socket;"
          + " it was left alone: remove it or choose another path");
    }
    if (acceptsConnection(path)) {
      if (replace) {
        return true;
      }
      throw new ServerStartException("cannot listen on " + path + ": in use by a running server;"
          + " stop it first, take it over with --replace, or choose another path");
    }
    try {
      Files.delete(path);
      log.info("{}: removed stale socket file (no server was listening)", path);
    } catch (NoSuchFileException e) {
      // someone else removed it: fine
    } catch (IOException e) {
      throw new ServerStartException("cannot listen on " + path + ": cannot remove the stale socket file (" + e.getMessage() + ")");
    }
    return false;
  }

  private static boolean isSocket(Path path, BasicFileAttributes attrs) {
    if (!attrs.isOther()) {
      return false;
    }
    try {
      int m = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (m & S_IFMT) == S_IFSOCK;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean acceptsConnection(Path path) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      return true;
    } catch (ConnectException e) {
      return false; // ECONNREFUSED: nobody listens on this socket any more
    } catch (IOException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new ServerStartException("cannot listen on " + path + ": cannot tell whether the existing socket is in use ("
          + reason + "); remove it if no server runs there");
    }
  }

  private static Path createPrivateDir(Path dir) {
    Set<PosixFilePermission> ownerOnly = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE);
    for (int tries = 0; ; tries++) {
      Path candidate = dir.resolve(".uds-" + Long.toString(RANDOM.nextLong() & 0x7fffffffL, 36));
      try {
        return Files.createDirectory(candidate, PosixFilePermissions.asFileAttribute(ownerOnly));
      } catch (FileAlreadyExistsException e) {
        if (tries > 10) {
          throw new ServerStartException("cannot listen in " + dir + ": cannot create a private directory there");
        }
      } catch (AccessDeniedException e) {
        throw new ServerStartException("cannot listen in " + dir + ": directory is not writable by this user");
      } catch (IOException e) {
        throw new ServerStartException("cannot listen in " + dir + ": directory is not writable (" + e.getMessage() + ")");
      }
    }
  }

  /** The path the listener must bind to. */
  String bindPath() {
    return bindPath.toString();
  }

  /** A live server was at the path when prepared, and publishing replaces it. */
  boolean replacing() {
    return replacing;
  }

  /** The public path. */
  Path path() {
    return path;
  }

  /**
   * Sets the socket's mode and makes it reachable at the public path.
   *
   * @throws ServerStartException when another server took the path meanwhile, or the mode cannot be set
   */
  void publish() {
    try {
      Files.setPosixFilePermissions(bindPath, PosixFilePermissions.fromString(toRwx(mode)));
    } catch (IOException e) {
      abandon();
      throw new ServerStartException("cannot set mode " + Integer.toOctalString(mode) + " on " + path + " (" + e.getMessage() + ")");
    }
    if (replacing) {
      try {
        // rename(2): the path names the old socket until this instant and ours from it on.
        Files.move(bindPath, path, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        abandon();
        throw new ServerStartException("cannot replace " + path + ": cannot rename the new socket over it (" + e.getMessage() + ")");
      }
      abandon();
    } else if (privateDir != null) {
      try {
        Files.createLink(path, bindPath);
      } catch (FileAlreadyExistsException e) {
        abandon();
        throw new ServerStartException("cannot listen on " + path + ": another file appeared there while starting;"
            + " is another server starting on the same path?");
      } catch (IOException e) {
        abandon();
        throw new ServerStartException("cannot listen on " + path + ": cannot link the socket into place (" + e.getMessage() + ")");
      }
      abandon();
    }
    try {
      fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException e) {
      fileKey = null;
    }
  }

  /** Removes the private directory and what is in it (the public link, if any, stays). */
  void abandon() {
    if (privateDir != null) {
      deleteQuietly(bindPath);
      deleteQuietly(privateDir);
    }
  }

  /**
   * Removes the public socket file if it is still the one this server published (same inode):
   * a newer server that took over the path keeps its socket.
   *
   * @return true when the file was ours and is gone
   */
  boolean removeIfOurs() {
    try {
      Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      if (fileKey == null || !fileKey.equals(current)) {
        log.info("{}: socket file was replaced by another; leaving it alone", path);
        return false;
      }
      Files.delete(path);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      log.warn("{}: cannot remove socket file: {}", path, e.getMessage());
      return false;
    }
  }

  private static String toRwx(int mode) {
    String letters = "rwxrwxrwx";
    StringBuilder sb = new StringBuilder(9);
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return sb.toString();
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.debug("cannot delete {}: {}", p, e.getMessage());
    }
  }
}
