package dev.unixsocket.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.io.IOException;

/** The process at the other end of a connection, from SO_PEERCRED where the transport tells it. */
record Peer(int pid, int uid) {

  /** Unknown peer (the transport does not give credentials). */
  static final Peer UNKNOWN = new Peer(-1, -1);

  static Peer of(NetSocket socket) {
    if (socket instanceof NetSocketInternal) {
      Channel channel = ((NetSocketInternal) socket).channelHandlerContext().channel();
      if (channel instanceof EpollDomainSocketChannel) {
        try {
          PeerCredentials cred = ((EpollDomainSocketChannel) channel).peerCredentials();
          return new Peer(cred.pid(), cred.uid());
        } catch (IOException e) {
          return UNKNOWN;
        }
      }
    }
    return UNKNOWN;
  }

  @Override
  public String toString() {
    return this == UNKNOWN || pid < 0 ? "" : " (pid " + pid + ", uid " + uid + ")";
  }
}
