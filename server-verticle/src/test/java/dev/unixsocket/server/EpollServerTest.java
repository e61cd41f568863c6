package dev.unixsocket.server;

import io.vertx.core.transport.Transport;

class EpollServerTest extends ServerContractTest {
  @Override
  Transport transport() {
    return Transport.EPOLL;
  }
}
