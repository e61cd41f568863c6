package dev.unixsocket.server;

import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.Control;
import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * The new server's side of {@code --replace}. Before binding: take the lock beside the path (one
 * takeover at a time), connect to the live server and check it runs as our user (or that we are
 * root), announce control frames. After the new socket has been renamed over the path:
 * {@link #handOver} sends TAKEOVER and waits for TAKEOVER_OK; {@link #close} confirms DONE and
 * lets go. Blocking: call from a worker.
 *
 * <p>Why the lock: the rename cannot be undone (the old socket's name is gone), so two takeovers
 * racing would leave one new server serving a socket nobody can reach. The lock is an advisory
 * {@code flock} on {@code .NAME.takeover} in the socket's directory; the kernel releases it when
 * the holder exits, however it exits. The empty file stays.
 */
final class Takeover implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Takeover.class);
  /** How long the old server may take to answer TAKEOVER. */
  static final long ANSWER_TIMEOUT_MS = 10_000;

  private final Path path;
  private final FileChannel lockFile;
  private final FileLock lock;
  private final SocketChannel channel;

  private Takeover(Path path, FileChannel lockFile, FileLock lock, SocketChannel channel) {
    this.path = path;
    this.lockFile = lockFile;
    this.lock = lock;
    this.channel = channel;
  }

  /**
   * Locks, connects to the live server at {@code path} and says HELLO.
   *
   * @throws ServerStartException another takeover holds the lock, the old server runs as another
   *     user, or it cannot be reached
   */
  static Takeover begin(Path path) {
    Path lockPath = path.resolveSibling("." + path.getFileName() + ".takeover");
    FileChannel lockFile = null;
    SocketChannel channel = null;
    try {
      try {
        lockFile = FileChannel.open(lockPath, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (IOException e) {
        throw lockUnavailable(path, lockPath, e);
      }
      FileLock lock;
      try {
        lock = lockFile.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null; // held by this JVM: another server in this process is taking over the same path
      }
      if (lock == null) {
        throw new ServerStartException("cannot replace the server at " + path + ": another --replace of it is under way");
      }
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(path));
      checkSameUser(path, channel);
      checkBoundBeside(path);
      Takeover t = new Takeover(path, lockFile, lock, channel);
      t.write(Control.HELLO, Unpooled.wrappedBuffer(new byte[] {(byte) Control.VERSION}));
      return t;
    } catch (IOException e) {
      closeQuietly(channel);
      closeQuietly(lockFile);
      throw new ServerStartException("cannot replace the server at " + path + ": " + describe(e));
    } catch (RuntimeException e) {
      closeQuietly(channel);
      closeQuietly(lockFile);
      throw e;
    }
  }

  /** The lock cannot be opened: why, in one line (an AccessDeniedException's message is the file name alone). */
  static ServerStartException lockUnavailable(Path path, Path lockPath, IOException e) {
    String why = e instanceof AccessDeniedException ? "permission denied (left by another user? remove it)"
        : e instanceof FileSystemException && ((FileSystemException) e).getReason() != null
            ? ((FileSystemException) e).getReason()
            : describe(e);
    return new ServerStartException("cannot replace the server at " + path + ": cannot open its takeover lock " + lockPath
        + ": " + why);
  }

  /** The old server accepts TAKEOVER only from its own uid or root: find out before the rename, which cannot be undone. */
  private static void checkSameUser(Path path, SocketChannel channel) throws IOException {
    UnixDomainPrincipal principal = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
    int own = ownUid();
    int theirs = principal == null ? -1 : Peer.uidOf(principal.user().getName());
    if (own != 0 && theirs != own) {
      throw new ServerStartException("cannot replace the server at " + path + ": it runs as "
          + (principal == null ? "an unknown user" : "user " + principal.user().getName())
          + "; only that user or root may take it over");
    }
  }

  /**
   * A uds server binds its socket in a private directory beside the path and renames (or links)
   * it there, so the name a peer sees (getpeername(2), the name it was bound to) is not the path.
   * A socket bound at the path itself was made by someone else: systemd (socket activation; the
   * server there refuses TAKEOVER) or another program (that never answers it). Found out before
   * the rename, which cannot be undone. Without the native library, not checked.
   */
  private static void checkBoundBeside(Path path) throws IOException {
    if (!Epoll.isAvailable()) {
      return;
    }
    Socket probe = Socket.newSocketDomain();
    try {
      probe.connect(new DomainSocketAddress(path.toString()));
      DomainSocketAddress bound = probe.remoteDomainSocketAddress();
      if (bound != null && path.toString().equals(bound.path())) {
        throw new ServerStartException("cannot replace the server at " + path + ": its socket was bound there directly,"
            + " not handed over by a uds server (a socket passed by systemd? restart its service instead)");
      }
    } finally {
      probe.close();
    }
  }

  /** This process's uid: the owner of /proc/self. */
  static int ownUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Sends TAKEOVER and waits for the answer. The new socket is at the path by now, so a refusal
   * cannot be undone: it is reported and the new server serves on.
   *
   * @return null when the old server accepted, else what went wrong, in one line
   */
  String handOver() {
    try {
      write(Control.TAKEOVER, Unpooled.EMPTY_BUFFER);
      return awaitAnswer();
    } catch (IOException e) {
      return describe(e);
    }
  }

  private String awaitAnswer() throws IOException {
    channel.configureBlocking(false);
    String[] answer = new String[1];
    boolean[] answered = new boolean[1];
    FrameReader reader = new FrameReader(Framing.LENGTH, 0,
        (data, index, length) -> {
          throw new BadFrameException("a data frame of " + length + " bytes where only control frames are expected");
        },
        (code, data, index, length) -> {
          if (code == Control.TAKEOVER_OK) {
            answered[0] = true;
          } else if (code == Control.REFUSED) {
            answered[0] = true;
            answer[0] = "the old server refused: " + data.toString(index, length, StandardCharsets.UTF_8);
          }
          // GOAWAY: it is draining already; the answer still comes.
        });
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_TIMEOUT_MS);
    try (Selector selector = Selector.open()) {
      channel.register(selector, SelectionKey.OP_READ);
      while (!answered[0]) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return "no answer to TAKEOVER within " + ANSWER_TIMEOUT_MS + " ms";
        }
        selector.select(left);
        selector.selectedKeys().clear();
        // A fresh buffer each time: the reader may keep the one it was given (an incomplete frame).
        ByteBuffer in = ByteBuffer.allocate(4 + Control.MAX_PAYLOAD);
        if (channel.read(in) < 0) {
          return "the old server closed the connection without answering TAKEOVER (a version without --replace?)";
        }
        try {
          reader.read(Unpooled.wrappedBuffer(in.flip()), UnpooledByteBufAllocator.DEFAULT);
        } catch (BadFrameException e) {
          return "the old server answered with " + e.getMessage();
        }
      }
    } finally {
      reader.close();
    }
    return answer[0];
  }

  private void write(Control code, ByteBuf payload) throws IOException {
    ByteBuf frame = Unpooled.buffer(4 + payload.readableBytes());
    Framing.LENGTH.writeControl(frame, code, payload);
    ByteBuffer b = frame.nioBuffer();
    while (b.hasRemaining()) {
      channel.write(b);
    }
    frame.release();
  }

  /** Confirms DONE (we never send data frames here), closes the connection and releases the lock. */
  @Override
  public void close() {
    try {
      channel.configureBlocking(true);
      write(Control.DONE, Unpooled.EMPTY_BUFFER);
    } catch (IOException | RuntimeException e) {
      log.debug("{}: DONE to the old server: {}", path, e.toString());
    }
    closeQuietly(channel);
    try {
      lock.release();
    } catch (IOException e) {
      log.debug("{}: releasing the takeover lock: {}", path, e.toString());
    }
    closeQuietly(lockFile);
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing more to do
      }
    }
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }
}
