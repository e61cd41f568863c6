package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** With defaults only, the commands find each other: server, client and bench share one default path. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DefaultPathTest {

  @Test
  void serverClientAndBenchMeetUnderXdgRuntimeDir(@TempDir Path runtimeDir) throws Exception {
    Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtimeDir.toString());
    Path expected = runtimeDir.resolve("unixsocket.sock");
    try (ChildProcess server = ChildProcess.start(env, Main.class, "server")) {
      assertThat(server.nextOut()).startsWith("listening on " + expected + " ");

      try (ChildProcess client = ChildProcess.start(env, Main.class, "client")) {
        client.typeLine("hi");
        assertThat(client.nextOut()).isEqualTo("echo:hi");
        client.typeLine("q");
        assertThat(client.waitFor()).isZero();
      }

      try (ChildProcess bench = ChildProcess.start(env, Main.class, "bench", "--duration", "0.3", "--warmup", "0",
          "--json")) {
        assertThat(bench.waitFor()).as("bench exit status; stderr: %s", bench.stderr()).isZero();
        JsonObject result = new JsonObject(bench.nextOut());
        assertThat(result.getString("path")).isEqualTo(expected.toString());
        assertThat(result.getLong("repliesVerified")).isPositive();
      }
      assertThat(server.terminate()).isZero();
    }
  }
}
