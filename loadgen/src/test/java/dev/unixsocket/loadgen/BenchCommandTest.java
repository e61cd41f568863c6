package dev.unixsocket.loadgen;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@code bench} for about a second at a time against our echo server in this JVM. Asserts
 * correctness and error reporting only, never timing.
 */
@Timeout(60)
class BenchCommandTest {

  private static String path;
  private static Vertx vertx;

  @BeforeAll
  static void startServer() {
    vertx = Vertx.vertx();
    path = socketPath();
    echoServer(path, Framing.LENGTH, "echo:", Framing.DEFAULT_MAX_FRAME);
  }

  @AfterAll
  static void stopServer() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  /** Deploys our echo server at {@code at}; returns the deployment id. */
  static String echoServer(String at, Framing framing, String prefix, int maxFrame) {
    return vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(at).setFraming(framing)
        .setEchoPrefix(prefix).setMaxFrame(maxFrame))).await();
  }

  static String socketPath() {
    return SocketPaths.fresh().toString();
  }

  record Run(int exit, String out, String err) {
    JsonObject json() {
      return new JsonObject(out.trim());
    }
  }

  static Run bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new BenchCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void pipelinedEchoOverSeveralConnectionsHasNoErrors() {
    Run r = bench("--path", path, "--connections", "3", "--pipeline", "32", "--duration", "1", "--warmup", "0.2",
        "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertThat(j.getLong("errors")).isZero();
    assertThat(j.getLong("mismatches")).isZero();
    assertThat(j.getLong("repliesVerified")).isPositive();
    assertThat(j.getDouble("p999Us")).isGreaterThanOrEqualTo(j.getDouble("p50Us"));
    assertThat(j.getString("mode")).isEqualTo("echo");
    assertThat(j.getInteger("pipeline")).isEqualTo(32);
  }

  @Test
  void largeFramesSplitOverManyReadsAreVerified() {
    Run r = bench("--path", path, "--connections", "2", "--pipeline", "3", "--size", "200000", "--duration", "1",
        "--warmup", "0", "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().getLong("errors")).isZero();
    assertThat(r.json().getLong("repliesVerified")).isPositive();
  }

  @Test
  void pingPongKeepsOneFrameInFlight() {
    Run r = bench("--path", path, "--mode", "pingpong", "--pipeline", "50", "--duration", "0.5", "--warmup", "0",
        "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().getInteger("pipeline")).isEqualTo(1);
    assertThat(r.json().getLong("repliesVerified")).isPositive();
  }

  @Test
  void textReportAndProgressLines() {
    Run r = bench("--path", path, "--pipeline", "8", "--duration", "2", "--warmup", "0.5");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("messages/s", "MB/s", "p50", "p99", "p99.9", "errors       0");
    assertThat(r.err()).contains("msg/s"); // at least one progress line
  }

  @Test
  void wrongPrefixIsCountedAsErrorsAndExitsOne() {
    Run r = bench("--path", path, "--expect-prefix", "ECHO:", "--pipeline", "4", "--duration", "0.5", "--warmup", "0",
        "--json");

    assertThat(r.exit()).isEqualTo(1);
    JsonObject j = r.json();
    assertThat(j.getLong("errors")).isPositive();
    assertThat(j.getLong("mismatches")).isEqualTo(j.getLong("errors"));
    assertThat(j.getLong("messages")).isZero();
    assertThat(j.getString("firstError")).contains("does not match", "byte 0", "'e'", "'E'");
    assertThat(r.err()).contains("does not match");
  }

  @Test
  void prefixOfAnotherLengthIsReportedFromTheHeader() {
    Run r = bench("--path", path, "--expect-prefix", "", "--duration", "0.3", "--warmup", "0", "--json");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().getString("firstError")).contains("announces 69 bytes, expected 64");
  }

  @Test
  void lineFraming() throws Exception {
    String linePath = socketPath();
    String lines = echoServer(linePath, Framing.LINE, ">> ", 1 << 20);
    try {
      Run ok = bench("--path", linePath, "--framing", "line", "--expect-prefix", ">> ", "--pipeline", "16",
          "--size", "3000", "--duration", "0.7", "--warmup", "0", "--json");
      Run bad = bench("--path", linePath, "--framing", "line", "--expect-prefix", ">>", "--duration", "0.3",
          "--warmup", "0", "--json");

      assertThat(ok.exit()).as(ok.err()).isZero();
      assertThat(ok.json().getLong("repliesVerified")).isPositive();
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.json().getLong("mismatches")).isPositive();
    } finally {
      vertx.undeploy(lines).await();
    }
  }

  @Test
  void noServerIsOneClearLine() {
    Run r = bench("--path", socketPath(), "--duration", "1");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().trim()).startsWith("bench: cannot connect to ").contains("no such socket file")
        .doesNotContain("\n").doesNotContain("Exception");
  }

  @Test
  void staleSocketFileIsConnectionRefused() throws Exception {
    Path stale = Path.of(socketPath());
    try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(stale), 1);
    } // closed without accepting: the file stays, nobody listens
    try {
      Run r = bench("--path", stale.toString(), "--duration", "1");

      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().trim()).contains("connection refused").doesNotContain("\n");
    } finally {
      Files.deleteIfExists(stale);
    }
  }

  @Test
  void eventBusEachWayWithTheServerInThisJvm_everyReplyVerified() {
    for (String how : new String[] {"request", "send", "batch"}) {
      Run r = bench("--event-bus=" + how, "--path", socketPath(), "--pipeline", "64", "--batch", "16",
          "--event-loops", "2", "--duration", "0.5", "--warmup", "0.2", "--json");

      assertThat(r.exit()).as(how + ": " + r.err()).isZero();
      JsonObject j = r.json();
      assertThat(j.getString("eventBus")).isEqualTo(how);
      assertThat(j.getString("server")).isEqualTo("in-jvm");
      assertThat(j.getInteger("eventLoops")).isEqualTo(2);
      assertThat(j.getInteger("framesPerEventBusMessage")).isEqualTo("batch".equals(how) ? 16 : 1);
      assertThat(j.getLong("messages")).as(how).isPositive();
      assertThat(j.getLong("errors")).as(how).isZero();
    }
  }

  @Test
  void eventBusAgainstAnExternalServer_checksItsPrefix() {
    Run ok = bench("--event-bus", "--external-server", "--path", path, "--pipeline", "8", "--duration", "0.5",
        "--warmup", "0.2");
    Run wrong = bench("--event-bus=send", "--external-server", "--path", path, "--expect-prefix", "ECHO:",
        "--duration", "0.3", "--warmup", "0", "--json");
    Run none = bench("--event-bus", "--external-server", "--path", socketPath(), "--duration", "0.3");

    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("event-bus request (server in another process", "messages/s", "errors       0");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.json().getLong("errors")).isPositive();
    assertThat(wrong.json().getString("firstError")).contains("does not start with the expected prefix");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err().trim()).startsWith("bench: cannot connect to ").contains("no such socket file");
  }

  @Test
  void badUsageExitsTwo() {
    assertThat(bench("--external-server").exit()).isEqualTo(2);
    assertThat(bench("--event-bus=ask").exit()).isEqualTo(2);
    assertThat(bench("--event-bus=batch", "--batch", "0").exit()).isEqualTo(2);
    assertThat(bench("--connections", "0").exit()).isEqualTo(2);
    assertThat(bench("--framing", "xml").exit()).isEqualTo(2);
    assertThat(bench("--path", "/tmp/" + "x".repeat(120)).exit()).isEqualTo(2);
  }

  @Test
  void connectsTurnedAwayByAFullBacklogAreRetried() throws Exception {
    Path file = Path.of(socketPath());
    java.util.List<java.nio.channels.SocketChannel> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      server.bind(java.net.UnixDomainSocketAddress.of(file), 1); // a backlog of one: the rest get EAGAIN
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(server.accept());
            Thread.sleep(5);
          }
        } catch (Exception closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();

      Run r = bench("--path", file.toString(), "--mode", "idle", "--connections", "40", "--duration", "0.3",
          "--json");

      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.json().getLong("opened")).isEqualTo(40);
      assertThat(r.json().getLong("errors")).isZero();
    } finally {
      for (var ch : accepted) {
        ch.close();
      }
      Files.deleteIfExists(file);
    }
  }

  @Test
  void idleModeHoldsConnectionsAndReportsRss() {
    long pid = ProcessHandle.current().pid(); // the server runs in this JVM
    Run r = bench("--path", path, "--mode", "idle", "--connections", "300", "--duration", "0.5",
        "--server-pid", Long.toString(pid), "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertThat(j.getLong("opened")).isEqualTo(300);
    assertThat(j.getLong("open")).isEqualTo(300);
    assertThat(j.getLong("errors")).isZero();
    assertThat(j.getLong("rssBeforeKiB")).isPositive();
    assertThat(j.containsKey("rssPerConnectionBytes")).isTrue();
  }
}
