package dev.unixsocket.bench;

import dev.unixsocket.loadgen.BenchCommand;
import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The raw Netty baseline answers what the load generator checks, in both framings. */
@Timeout(60)
class NettyEchoServerTest {

  private static JsonObject bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new BenchCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute(args)).as(err.toString()).isZero();
    return new JsonObject(out.toString().trim());
  }

  @Test
  void lengthFramesSmallAndSplitOverReads() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (NettyEchoServer server = NettyEchoServer.start(path, Framing.LENGTH, "echo:", 1, Framing.DEFAULT_MAX_FRAME)) {
      JsonObject small = bench("--path", path, "--connections", "2", "--pipeline", "32", "--duration", "0.5",
          "--warmup", "0", "--json");
      JsonObject large = bench("--path", path, "--pipeline", "2", "--size", "200000", "--duration", "0.5",
          "--warmup", "0", "--json");
      for (JsonObject j : new JsonObject[] {small, large}) {
        assertThat(j.getLong("errors")).isZero();
        assertThat(j.getLong("repliesVerified")).isPositive();
      }
    }
  }

  @Test
  void lineFramesWithAnotherPrefix() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (NettyEchoServer server = NettyEchoServer.start(path, Framing.LINE, ">> ", 1, 1 << 20)) {
      JsonObject j = bench("--path", path, "--framing", "line", "--expect-prefix", ">> ", "--pipeline", "16",
          "--size", "3000", "--duration", "0.5", "--warmup", "0", "--json");
      assertThat(j.getLong("errors")).isZero();
      assertThat(j.getLong("repliesVerified")).isPositive();
    }
  }
}
