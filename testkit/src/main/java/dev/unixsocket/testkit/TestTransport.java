package dev.unixsocket.testkit;

import dev.unixsocket.transport.IoUringDomainSocketTransport;
import io.vertx.core.transport.Transport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transports a contract test runs on: {@code @ParameterizedClass @EnumSource(TestTransport.class)}
 * runs the whole class once per transport. Where one is unavailable (no io_uring in the kernel,
 * no native epoll), its run is skipped with the reason rather than failed or left out.
 */
public enum TestTransport {
  EPOLL("epoll", Transport.EPOLL),
  NIO("nio", Transport.NIO),
  /** Through our domain-socket-capable io_uring transport: Vert.x 5.0.7's own has no domain sockets. */
  IO_URING("io_uring", IoUringDomainSocketTransport.TRANSPORT);

  private final String label;
  private final Transport transport;

  TestTransport(String label, Transport transport) {
    this.label = label;
    this.transport = transport;
  }

  /** The Vert.x transport; aborts the calling test (reported as skipped, with the cause) where it is unavailable. */
  public Transport transport() {
    assumeTrue(transport.available(), () -> label + " is not available here: " + transport.unavailabilityCause());
    return transport;
  }

  @Override
  public String toString() {
    return label;
  }
}
