package dev.unixsocket.testkit;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Our echo server in a JVM of its own, so that a test can kill it for real (SIGKILL): deploys the
 * server verticle on the path given as the only argument, prints {@code listening on PATH} to
 * stdout, and runs until killed.
 *
 * <p>The verticle is deployed by class name: the server module's own tests use this kit, so the
 * kit cannot depend on that module at compile time (a module cycle); the child's class path, the
 * test's, holds it.
 */
public final class ChildServer {

  static final String SERVER_VERTICLE = "dev.unixsocket.server.ServerVerticle";

  private ChildServer() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    vertx.deployVerticle(SERVER_VERTICLE, new DeploymentOptions().setConfig(new JsonObject().put("path", args[0])))
        .await();
    System.out.println("listening on " + args[0]);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  /** Starts this main in a child JVM serving {@code path}; returns once it has printed its "listening" line. */
  public static ChildProcess start(Path path) throws Exception {
    ChildProcess child = ChildProcess.start(ChildServer.class, path.toString());
    String line = child.nextOut();
    if (!line.startsWith("listening on")) {
      child.close();
      throw new AssertionError("first line of the child server: " + line);
    }
    return child;
  }
}
