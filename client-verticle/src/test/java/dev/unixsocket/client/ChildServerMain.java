package dev.unixsocket.client;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

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

  /**
   * Starts this main in a child JVM serving {@code path} and returns once it has printed its
   * "listening" line (stderr goes to target/child-server.log). The JVM is tuned to start fast:
   * C1 only, serial GC.
   */
  static Process start(Path path, Duration wait) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), ChildServerMain.class.getName(), path.toString());
    pb.redirectError(ProcessBuilder.Redirect.appendTo(new File("target/child-server.log")));
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    // Read on another thread: a blocked readLine ignores interrupts, a future's get does not.
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (Exception e) {
        return "error: " + e;
      }
    }).get(wait.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(line).as("first line of the child server (log in target/child-server.log)").startsWith("listening on");
    return p;
  }

  /** SIGKILL: no graceful stop, the socket file stays behind. */
  static void kill(Process p) throws Exception {
    p.destroyForcibly();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }
}
