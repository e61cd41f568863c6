package dev.unixsocket.server;

import io.netty.channel.Channel;

import java.lang.reflect.Field;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops the addresses that Netty's epoll and io_uring channels cache for every accepted
 * connection and that the server never reads: the base class keeps the local and remote address
 * as {@code InetSocketAddress}es parsed from the socket (meaningless on a Unix domain socket,
 * about 330 B), the domain-socket channel its own pair of {@code DomainSocketAddress}es (the
 * bind path and the peer's usually empty path, about 150 B), out of some 1.6 KB an idle
 * connection holds. Afterwards the channel's {@code localAddress()} and {@code remoteAddress()}
 * answer null, which the server does not ask (peers are named by SO_PEERCRED, see {@link Peer}).
 * Done by reflection on private fields, so it is best-effort: when a Netty version renames them,
 * or they cannot be opened, nothing is dropped and nothing else changes.
 */
final class UnusedAddresses {

  private static final List<Field> FIELDS = find();

  private UnusedAddresses() {
  }

  static void drop(Channel channel) {
    for (Field f : FIELDS) {
      if (f.getDeclaringClass().isInstance(channel)) {
        try {
          f.set(channel, null);
        } catch (IllegalAccessException | RuntimeException e) {
          return;
        }
      }
    }
  }

  private static List<Field> find() {
    List<Field> found = new ArrayList<>();
    for (String name : List.of("io.netty.channel.epoll.AbstractEpollChannel", "io.netty.channel.uring.AbstractIoUringChannel",
        "io.netty.channel.epoll.EpollDomainSocketChannel", "io.netty.channel.uring.IoUringDomainSocketChannel")) {
      try {
        Class<?> c = Class.forName(name, false, UnusedAddresses.class.getClassLoader());
        for (String field : List.of("local", "remote")) {
          Field f = c.getDeclaredField(field);
          if (SocketAddress.class.isAssignableFrom(f.getType())) {
            f.setAccessible(true);
            found.add(f);
          }
        }
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        // that transport is absent or its fields changed: keep the addresses
      }
    }
    return List.copyOf(found);
  }
}
