package dev.unixsocket.server;

import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C load generator (bench/baseline/loadgen.c), built with the system compiler, against the
 * C echo baseline and against our server in this JVM: about a second each, every reply byte
 * verified. Asserts correctness (no errors, replies counted, the JSON contract), never speed.
 * Skipped where there is no C compiler.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CLoadGeneratorTest {

  private static final Path BASELINE = Path.of("..", "bench", "baseline");
  @TempDir
  static Path bin;
  private static Path loadgen;
  private static Path echo;

  private Vertx vertx;
  private Process cServer;
  private final Path path = SocketPaths.fresh();

  @BeforeAll
  static void build() throws Exception {
    assumeTrue(Files.exists(BASELINE.resolve("loadgen.c")), "bench/baseline/loadgen.c not found from "
        + Path.of("").toAbsolutePath());
    loadgen = bin.resolve("loadgen");
    echo = bin.resolve("echo_c");
    compile(BASELINE.resolve("loadgen.c"), loadgen, "-lm");
    compile(BASELINE.resolve("echo.c"), echo);
  }

  private static void compile(Path source, Path out, String... libs) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("cc", "-O2", "-Wall", "-o", out.toString(), source.toString()));
    cmd.addAll(List.of(libs));
    Process cc;
    try {
      cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "no C compiler (cc): " + e.getMessage());
      return;
    }
    String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(cc.waitFor()).as(output).isZero();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (cServer != null) {
      cServer.destroy();
      cServer.waitFor(5, TimeUnit.SECONDS);
      cServer.destroyForcibly();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(path);
  }

  record Run(int exit, JsonObject json, String err) {
  }

  private Run loadgen(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(loadgen.toString(), "--path", path.toString(), "--json"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out.isBlank() ? new JsonObject() : new JsonObject(out.trim()), err);
  }

  private static void assertClean(Run r, int connections, int pipeline, int size) {
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertThat(j.getLong("errors")).as(r.err()).isZero();
    assertThat(j.getLong("replies")).isPositive();
    assertThat(j.getDouble("msgs_per_s")).isPositive();
    assertThat(j.getDouble("p999_us")).isGreaterThanOrEqualTo(j.getDouble("p50_us"));
    assertThat(j.getInteger("connections")).isEqualTo(connections);
    assertThat(j.getInteger("pipeline")).isEqualTo(pipeline);
    assertThat(j.getInteger("size")).isEqualTo(size);
    assertThat(j.fieldNames()).contains("mb_per_s", "p99_us", "loader_cpu");
  }

  @Test
  void againstTheCEchoSmallAndLargeFramesAreVerified() throws Exception {
    cServer = new ProcessBuilder(echo.toString(), path.toString(), "").start();
    BufferedReader out = new BufferedReader(new InputStreamReader(cServer.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).startsWith("listening on " + path);

    assertClean(loadgen("--prefix", "", "--connections", "3", "--pipeline", "16", "--size", "64",
        "--duration", "0.6", "--warmup", "0.1"), 3, 16, 64);
    assertClean(loadgen("--prefix", "", "--connections", "2", "--pipeline", "3", "--size", "300000",
        "--duration", "0.6", "--warmup", "0"), 2, 3, 300000);
  }

  @Test
  void againstOurServerLengthAndLineFramingAreVerified() throws Exception {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    start(new ServerOptions().setPath(path.toString()));
    assertClean(loadgen("--connections", "4", "--pipeline", "8", "--size", "1000", "--duration", "0.6",
        "--warmup", "0.1"), 4, 8, 1000);
    assertClean(loadgen("--connections", "2", "--pipeline", "4", "--size", "70000", "--duration", "0.6",
        "--warmup", "0", "--threads", "2"), 2, 4, 70000);
    vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);

    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    start(new ServerOptions().setPath(path.toString()).setFraming(Framing.LINE));
    assertClean(loadgen("--framing", "line", "--connections", "2", "--pipeline", "8", "--size", "100",
        "--duration", "0.6", "--warmup", "0.1"), 2, 8, 100);
  }

  @Test
  void aWrongPrefixIsReportedAsAnErrorWithExitStatus1() throws Exception {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    start(new ServerOptions().setPath(path.toString()));
    Run r = loadgen("--prefix", "other:", "--duration", "0.3", "--warmup", "0");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().getLong("errors")).isPositive();
    assertThat(r.err()).contains("differs from prefix + payload");
  }

  @Test
  void idleModeHoldsItsConnections() throws Exception {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    start(new ServerOptions().setPath(path.toString()));
    Run r = loadgen("--idle", "50", "--duration", "0.3");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().getInteger("open")).isEqualTo(50);
    assertThat(r.json().getLong("errors")).isZero();
  }

  @Test
  void badUsageExitsWith2AndOneLine() throws Exception {
    Run r = loadgen("--size", "lots");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("loadgen: --size").doesNotContain("\n");
  }

  private void start(ServerOptions options) throws Exception {
    vertx.deployVerticle(new ServerVerticle(options)).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
