package dev.unixsocket.client;

import io.vertx.core.transport.Transport;

class NioClientTest extends ClientContractTest {
  @Override
  Transport transport() {
    return Transport.NIO;
  }
}
