package dev.unixsocket.client;

import io.vertx.core.transport.Transport;

class EpollClientTest extends ClientContractTest {
  @Override
  Transport transport() {
    return Transport.EPOLL;
  }
}
