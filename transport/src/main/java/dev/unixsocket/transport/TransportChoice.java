package dev.unixsocket.transport;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;

import java.util.Locale;

/**
 * Which Netty transport a Vert.x instance should run on. The transport belongs to the
 * {@link Vertx} instance, not to a verticle: the launcher builds Vert.x with the chosen one
 * ({@code Vertx.builder().withTransport(choice.resolve())}), and the verticles check it.
 */
public enum TransportChoice {
  /** epoll where it is available, else NIO. */
  AUTO,
  EPOLL,
  /**
   * Linux io_uring. Vert.x 5.0.7's own io_uring transport refuses Unix domain sockets, so this
   * choice uses {@link IoUringDomainSocketTransport}, which adds Netty's io_uring domain channels.
   */
  IO_URING,
  /** The JDK's NIO; serves Unix domain sockets on JDK 16 and later. */
  NIO;

  /**
   * The Vert.x transport for this choice.
   *
   * @throws IllegalStateException with a one-line reason when it cannot be used on this machine
   */
  public Transport resolve() {
    switch (this) {
      case AUTO:
        return Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
      case EPOLL:
        if (!Transport.EPOLL.available()) {
          Throwable cause = Transport.EPOLL.unavailabilityCause();
          throw new IllegalStateException("epoll transport is not available here"
              + (cause == null ? "" : " (" + cause.getMessage() + ")") + "; use --transport nio");
        }
        return Transport.EPOLL;
      case IO_URING:
        Transport uring = IoUringDomainSocketTransport.TRANSPORT;
        if (!uring.available()) {
          Throwable cause = uring.unavailabilityCause();
          throw new IllegalStateException("io_uring transport is not available here"
              + (cause == null ? "" : " (" + cause.getMessage() + ")") + "; use --transport epoll");
        }
        return uring;
      case NIO:
      default:
        return Transport.NIO;
    }
  }

  /** The lower-case name used on the command line and in JSON. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The name of the transport a Vert.x instance actually runs on: epoll, io_uring, kqueue or nio. */
  public static String nameOf(Vertx vertx) {
    Object running = ((VertxInternal) vertx).transport();
    for (Transport t : new Transport[] {Transport.EPOLL, IoUringDomainSocketTransport.TRANSPORT, Transport.IO_URING,
        Transport.KQUEUE, Transport.NIO}) {
      if (t != null && t.available() && t.implementation() == running) {
        return t.name();
      }
    }
    return running.getClass().getSimpleName();
  }

  /** Parses auto, epoll, io_uring (or io-uring) and nio, in any case. */
  public static TransportChoice of(String name) {
    if (name != null) {
      String n = name.trim().replace('-', '_');
      for (TransportChoice c : values()) {
        if (c.name().equalsIgnoreCase(n)) {
          return c;
        }
      }
    }
    throw new IllegalArgumentException("unknown transport '" + name + "': use auto, epoll, io_uring or nio");
  }
}
