package dev.unixsocket.server;

import dev.unixsocket.transport.IoUringDomainSocketTransport;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The same contract on io_uring, through our domain-socket-capable io_uring transport. */
class IoUringServerTest extends ServerContractTest {

  @BeforeAll
  static void ioUringAvailable() {
    assumeTrue(IoUringDomainSocketTransport.TRANSPORT.available(),
        () -> "io_uring is not available on this kernel: " + IoUringDomainSocketTransport.TRANSPORT.unavailabilityCause());
  }

  @Override
  Transport transport() {
    return IoUringDomainSocketTransport.TRANSPORT;
  }
}
