package dev.unixsocket.loadgen;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The C baseline of bench/baseline/echo.c answers every frame correctly (small and large). */
@Timeout(60)
class CBaselineTest {

  @Test
  void cEchoServerPassesTheBenchVerification(@TempDir Path dir) throws Exception {
    Path source = Path.of("..", "bench", "baseline", "echo.c");
    assumeTrue(Files.exists(source), "bench/baseline/echo.c not found from " + Path.of("").toAbsolutePath());
    Path binary = dir.resolve("echo_c");
    Process gcc;
    try {
      gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-o", binary.toString(), source.toString())
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "no gcc: " + e.getMessage());
      return;
    }
    String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gcc.waitFor()).as(gccOut).isZero();

    String path = BenchCommandTest.socketPath();
    Process server = new ProcessBuilder(binary.toString(), path).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).startsWith("listening on " + path);

      BenchCommandTest.Run small = BenchCommandTest.bench("--path", path, "--connections", "2", "--pipeline", "64",
          "--duration", "0.7", "--warmup", "0", "--json");
      BenchCommandTest.Run large = BenchCommandTest.bench("--path", path, "--connections", "2", "--pipeline", "2",
          "--size", "300000", "--duration", "0.7", "--warmup", "0", "--json");

      for (BenchCommandTest.Run r : new BenchCommandTest.Run[] {small, large}) {
        assertThat(r.exit()).as(r.err()).isZero();
        JsonObject j = r.json();
        assertThat(j.getLong("errors")).isZero();
        assertThat(j.getLong("repliesVerified")).isPositive();
      }
    } finally {
      server.destroy(); // SIGTERM: the server removes its socket file
      server.waitFor(5, TimeUnit.SECONDS);
      server.destroyForcibly();
      Files.deleteIfExists(Path.of(path));
    }
  }
}
