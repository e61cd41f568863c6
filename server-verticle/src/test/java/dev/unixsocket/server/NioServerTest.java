package dev.unixsocket.server;

import io.vertx.core.transport.Transport;

class NioServerTest extends ServerContractTest {
  @Override
  Transport transport() {
    return Transport.NIO;
  }
}
