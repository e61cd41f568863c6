package dev.unixsocket.bench;

import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The raw Netty baseline answers what the load generator checks, in both framings. */
@Timeout(60)
class NettyEchoServerTest {

  @Test
  void lengthFramesSmallAndSplitOverReads() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (NettyEchoServer server = NettyEchoServer.start(path, Framing.LENGTH, "echo:", 1, Framing.DEFAULT_MAX_FRAME)) {
      JsonObject small = LoadRuns.run("--path", path, "--connections", "2", "--pipeline", "32", "--duration", "0.5",
          "--warmup", "0", "--json");
      JsonObject large = LoadRuns.run("--path", path, "--pipeline", "2", "--size", "200000", "--duration", "0.5",
          "--warmup", "0", "--json");
      LoadRuns.assertClean(small, large);
    }
  }

  @Test
  void lineFramesWithAnotherPrefix() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (NettyEchoServer server = NettyEchoServer.start(path, Framing.LINE, ">> ", 1, 1 << 20)) {
      JsonObject j = LoadRuns.run("--path", path, "--framing", "line", "--expect-prefix", ">> ", "--pipeline", "16",
          "--size", "3000", "--duration", "0.5", "--warmup", "0", "--json");
      LoadRuns.assertClean(j);
    }
  }
}
