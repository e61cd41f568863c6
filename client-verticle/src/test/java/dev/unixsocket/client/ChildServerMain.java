package dev.unixsocket.client;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;

import java.util.concurrent.CountDownLatch;

/**
 * The echo server in a JVM of its own, so that a test can kill it for real (SIGKILL): deploys
 * {@link ServerVerticle} on the path given as the only argument, prints {@code listening on PATH}
 * to stdout, and runs until killed.
 */
public final class ChildServerMain {

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(args[0]))).await();
    System.out.println("listening on " + args[0]);
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
