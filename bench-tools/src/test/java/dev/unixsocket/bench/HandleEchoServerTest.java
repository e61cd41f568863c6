package dev.unixsocket.bench;

import dev.unixsocket.testkit.SocketPaths;
import dev.unixsocket.wire.Framing;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The channel-free baseline answers what the load generator checks, in both framings, for frames
 * that fit one read and frames gathered over many, whether it accepts connections itself or takes
 * them from Netty's server channel; a bad frame closes its own connection only.
 */
@Timeout(60)
class HandleEchoServerTest {

  @Test
  void lengthFramesSmallAndGatheredOverReads() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (HandleEchoServer server = HandleEchoServer.start(path, Framing.LENGTH, "echo:", 1, Framing.DEFAULT_MAX_FRAME)) {
      JsonObject small = LoadRuns.run("--path", path, "--connections", "3", "--pipeline", "32", "--duration", "0.5",
          "--warmup", "0", "--json");
      JsonObject large = LoadRuns.run("--path", path, "--connections", "2", "--pipeline", "2", "--size", "300000",
          "--duration", "0.5", "--warmup", "0", "--json");
      LoadRuns.assertClean(small, large);
    }
  }

  @Test
  void connectionsAcceptedByNettysServerChannelAndMovedToHandles() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (HandleEchoServer server = HandleEchoServer.start(path, Framing.LENGTH, "echo:", 2, Framing.DEFAULT_MAX_FRAME, true)) {
      JsonObject small = LoadRuns.run("--path", path, "--connections", "8", "--pipeline", "16", "--duration", "0.5",
          "--warmup", "0", "--json");
      JsonObject large = LoadRuns.run("--path", path, "--connections", "2", "--pipeline", "2", "--size", "100000",
          "--duration", "0.5", "--warmup", "0", "--json");
      LoadRuns.assertClean(small, large);
    }
  }

  @Test
  void lineFramesWithAnotherPrefix() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (HandleEchoServer server = HandleEchoServer.start(path, Framing.LINE, ">> ", 2, 1 << 20)) {
      JsonObject j = LoadRuns.run("--path", path, "--framing", "line", "--expect-prefix", ">> ", "--connections", "4",
          "--pipeline", "16", "--size", "3000", "--duration", "0.5", "--warmup", "0", "--json");
      LoadRuns.assertClean(j);
    }
  }

  @Test
  void aFrameOverTheLimitClosesThatConnectionOnly() throws Exception {
    String path = SocketPaths.fresh().toString();
    try (HandleEchoServer server = HandleEchoServer.start(path, Framing.LENGTH, "", 1, 100);
         SocketChannel bad = SocketChannel.open(StandardProtocolFamily.UNIX);
         SocketChannel good = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      bad.connect(UnixDomainSocketAddress.of(path));
      good.connect(UnixDomainSocketAddress.of(path));
      OutputStream badOut = Channels.newOutputStream(bad);
      badOut.write(new byte[] {0, 0, 0, (byte) 101});
      badOut.flush();
      InputStream badIn = Channels.newInputStream(bad);
      assertThat(badIn.read()).as("the server closes the connection that sent too large a frame").isEqualTo(-1);

      OutputStream goodOut = Channels.newOutputStream(good);
      goodOut.write(new byte[] {0, 0, 0, 2, 'h', 'i'});
      goodOut.flush();
      DataInputStream goodIn = new DataInputStream(Channels.newInputStream(good));
      assertThat(goodIn.readInt()).isEqualTo(2);
      byte[] reply = new byte[2];
      goodIn.readFully(reply);
      assertThat(new String(reply, StandardCharsets.US_ASCII)).isEqualTo("hi");
    }
  }
}
