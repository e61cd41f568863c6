package dev.unixsocket.server;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * systemd socket activation (sd_listen_fds(3)): the listening socket a service manager opened
 * for us and passed as file descriptors 3, 4, ... with {@code LISTEN_PID} (our pid),
 * {@code LISTEN_FDS} (how many) and {@code LISTEN_FDNAMES} (their names, colon-separated).
 *
 * <p>The server adopts such a socket instead of binding: the socket file and its backlog belong
 * to systemd, outlive the server, and keep connections waiting (not refused) while it restarts.
 *
 * <p>sd_listen_fds can unset the variables so that children do not take the sockets for theirs;
 * a JVM cannot change its own environment. What that guards against cannot happen here: a child
 * has another pid, so {@code LISTEN_PID} does not name it, and Java's process launcher closes
 * every descriptor above 2 in the child.
 */
public final class SocketActivation {

  /** The first passed descriptor (SD_LISTEN_FDS_START). */
  static final int FIRST_FD = 3;
  private static final int SOL_SOCKET = 1;
  private static final int SO_TYPE = 3;
  private static final int SO_ACCEPTCONN = 30;
  private static final int SO_DOMAIN = 39;
  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;

  private SocketActivation() {
  }

  /**
   * The descriptor to serve when this process was socket-activated, or -1 when it was not
   * ({@code LISTEN_PID} absent or naming another process).
   *
   * @param path the path asked for (absolute), or null when none was asked for: with several
   *     sockets passed, the one bound to it is chosen
   * @throws ServerStartException with a one-line reason when the variables are malformed, or the
   *     socket passed is not a listening Unix stream socket, or none of several is bound to path
   */
  public static int listenFd(Map<String, String> env, long pid, String path) {
    String listenPid = env.get("LISTEN_PID");
    if (listenPid == null) {
      return -1;
    }
    long named;
    try {
      named = Long.parseLong(listenPid.trim());
    } catch (NumberFormatException e) {
      throw new ServerStartException("socket activation: LISTEN_PID is not a number: '" + listenPid + "'");
    }
    if (named != pid) {
      return -1; // meant for another process (our parent, typically)
    }
    int count;
    try {
      count = Integer.parseInt(String.valueOf(env.get("LISTEN_FDS")).trim());
    } catch (NumberFormatException e) {
      throw new ServerStartException("socket activation: LISTEN_PID names this process but LISTEN_FDS is '"
          + env.get("LISTEN_FDS") + "', not a number");
    }
    if (count < 1) {
      throw new ServerStartException("socket activation: LISTEN_PID names this process but LISTEN_FDS is " + count
          + "; pass a socket (ListenStream= in the .socket unit)");
    }
    String namesText = env.get("LISTEN_FDNAMES");
    List<String> names = namesText == null ? List.of() : Arrays.asList(namesText.split(":", -1));
    if (!Epoll.isAvailable()) {
      throw new ServerStartException("socket activation needs the epoll transport, which cannot load here: "
          + Epoll.unavailabilityCause());
    }
    if (count == 1) {
      check(FIRST_FD, nameOf(names, 0));
      return FIRST_FD;
    }
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int fd = FIRST_FD + i;
      String bound = boundPath(fd);
      seen.add("fd " + fd + nameOf(names, i) + (bound == null ? "" : " at " + bound));
      if (path != null && bound != null && Path.of(bound).toAbsolutePath().normalize().toString().equals(path)) {
        check(fd, nameOf(names, i));
        return fd;
      }
    }
    throw new ServerStartException("socket activation: " + count + " sockets were passed (" + String.join(", ", seen)
        + ") and none is bound to " + (path == null ? "the path asked for" : path) + "; give --path one of them");
  }

  /** This process's own environment and pid. */
  public static int listenFd(String path) {
    return listenFd(System.getenv(), ProcessHandle.current().pid(), path);
  }

  private static String nameOf(List<String> names, int i) {
    return i < names.size() && !names.get(i).isEmpty() ? " (" + names.get(i) + ")" : "";
  }

  /**
   * Checks that {@code fd} is a listening AF_UNIX stream socket.
   *
   * @throws ServerStartException saying what it is instead
   */
  static void check(int fd, String name) {
    String which = "socket activation: fd " + fd + name;
    int domain;
    int type;
    int listening;
    try {
      Socket socket = new Socket(fd); // a view of the descriptor: never closed here
      domain = socket.getIntOpt(SOL_SOCKET, SO_DOMAIN);
      type = socket.getIntOpt(SOL_SOCKET, SO_TYPE);
      listening = socket.getIntOpt(SOL_SOCKET, SO_ACCEPTCONN);
    } catch (IOException | RuntimeException e) {
      // Netty's Socket looks up the address family first: a ChannelException for a non-socket.
      throw new ServerStartException(which + " is not a socket (" + e.getMessage() + ")");
    }
    if (domain != AF_UNIX) {
      throw new ServerStartException(which + " is not a Unix domain socket (address family " + domain
          + "); use ListenStream=/path/to.sock");
    }
    if (type != SOCK_STREAM) {
      throw new ServerStartException(which + " is not a stream socket (type " + type + "); use ListenStream=, not "
          + "ListenDatagram= or ListenSequentialPacket=");
    }
    if (listening == 0) {
      throw new ServerStartException(which + " is not listening (Accept=yes passes connections, not the listener;"
          + " use Accept=no)");
    }
  }

  /** The path the socket at {@code fd} is bound to, or null (not a Unix socket, unbound, abstract). */
  public static String boundPath(int fd) {
    try {
      DomainSocketAddress a = new Socket(fd).localDomainSocketAddress();
      return a == null || a.path().isEmpty() ? null : a.path();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
