package dev.unixsocket.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process at the other end of a connection, from SO_PEERCRED: uid and pid on epoll and io_uring; on NIO
 * the JDK gives the user's name only, mapped back to a uid through /etc/passwd, and no pid.
 */
record Peer(int pid, int uid) {

  /** Unknown peer: the transport does not tell. */
  static final Peer UNKNOWN = new Peer(-1, -1);

  static Peer of(Channel channel) {
    try {
      if (channel instanceof EpollDomainSocketChannel) {
        PeerCredentials cred = ((EpollDomainSocketChannel) channel).peerCredentials();
        return new Peer(cred.pid(), cred.uid());
      }
      if (channel instanceof IoUringDomainSocketChannel) {
        PeerCredentials cred = ((IoUringDomainSocketChannel) channel).peerCredentials();
        return new Peer(cred.pid(), cred.uid());
      }
      UnixDomainPrincipal principal = channel.config().getOption(NioChannelOption.of(ExtendedSocketOptions.SO_PEERCRED));
      return principal == null ? UNKNOWN : new Peer(-1, uidOf(principal.user().getName()));
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
  }

  boolean known() {
    return uid >= 0;
  }

  /** A user name as a uid, through /etc/passwd; a name that is a number is that uid; -1 when unknown. */
  static int uidOf(String user) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/etc/passwd"));
      for (String line : lines) {
        String[] f = line.split(":", -1);
        if (f.length > 2 && f[0].equals(user)) {
          return Integer.parseInt(f[2]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall through: a user without a passwd entry is named by its number
    }
    try {
      return Integer.parseInt(user);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public String toString() {
    if (!known()) {
      return "";
    }
    return pid < 0 ? " (uid " + uid + ")" : " (pid " + pid + ", uid " + uid + ")";
  }
}
