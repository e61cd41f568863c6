package dev.unixsocket.launcher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code uds server} as a user runs it: a separate process, stopped by signals, killed, restarted. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServerProcessTest {

  private final Path path = Path.of("/tmp/uds-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    Files.deleteIfExists(path);
  }

  private Process uds(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
    processes.add(p);
    return p;
  }

  /** Starts a server and returns once it has printed its ready line. */
  private Process startServer() throws IOException {
    Process p = uds("server", "--path", path.toString());
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertThat(line).startsWith("listening on " + path + " (transport epoll");
    return p;
  }

  private static String echo(Path path, String text) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(path));
      byte[] p = text.getBytes(StandardCharsets.UTF_8);
      ch.write(ByteBuffer.allocate(4 + p.length).putInt(p.length).put(p).flip());
      ByteBuffer header = ByteBuffer.allocate(4);
      while (header.hasRemaining() && ch.read(header) >= 0) {
        // fill
      }
      ByteBuffer body = ByteBuffer.allocate(header.flip().getInt());
      while (body.hasRemaining() && ch.read(body) >= 0) {
        // fill
      }
      return new String(body.array(), StandardCharsets.UTF_8);
    }
  }

  private static String stderr(Process p) throws IOException {
    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void sigtermStopsGracefullyWithStatusZeroAndRemovesTheSocket() throws Exception {
    Process server = startServer();
    assertThat(echo(path, "hi")).isEqualTo("echo:hi");
    server.destroy(); // SIGTERM
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isZero();
    assertThat(path).doesNotExist();
  }

  @Test
  void secondServerExitsOneWithOneLineAndLeavesTheFirstServing() throws Exception {
    startServer();
    Process second = uds("server", "--path", path.toString());
    assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).isEqualTo(1);
    assertThat(stderr(second).strip()).isEqualTo("uds server: cannot listen on " + path
        + ": in use by a running server; stop it first or choose another path");
    assertThat(echo(path, "first")).isEqualTo("echo:first");
  }

  @Test
  void restartsOnTheStaleFileAfterKillNine() throws Exception {
    Process server = startServer();
    server.destroyForcibly(); // SIGKILL: the socket file stays behind
    server.waitFor(30, TimeUnit.SECONDS);
    assertThat(path).exists();
    startServer();
    assertThat(echo(path, "again")).isEqualTo("echo:again");
  }

  @Test
  void lineFramingAnswersSocat() throws Exception {
    Process server = uds("server", "--path", path.toString(), "--framing", "line");
    assertThat(new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine())
        .startsWith("listening on " + path);
    // socat is installed by .ci/run: a missing socat fails this test rather than skipping it.
    Process socat = new ProcessBuilder("socat", "-t2", "-", "UNIX-CONNECT:" + path).start();
    socat.getOutputStream().write("hello\r\nworld\n".getBytes(StandardCharsets.UTF_8));
    socat.getOutputStream().close();
    String out = new String(socat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(socat.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).isEqualTo("echo:hello\necho:world\n");
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    Process p = uds("server", "--framing", "xml");
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(stderr(p)).startsWith("uds server: unknown framing 'xml': use length or line");
  }

  @Test
  void pathOverTheKernelLimitExitsOneNotTwo() throws Exception {
    String tooLong = "/tmp/" + "x".repeat(103) + ".sock";
    Process p = uds("server", "--path", tooLong);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("a path that cannot be served is exit 1; 2 is for bad usage").isEqualTo(1);
    String err = stderr(p);
    assertThat(err).startsWith("uds server: socket path is 113 bytes, over the kernel's limit of 107")
        .doesNotContain("--help");
    assertThat(err.strip().lines()).hasSize(1);
  }

  @Test
  void missingDirectoryExitsOneWithoutAStackTrace() throws Exception {
    Process p = uds("server", "--path", "/tmp/missing-" + UUID.randomUUID().toString().substring(0, 6) + "/x.sock");
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    String err = stderr(p);
    assertThat(err).contains("does not exist").doesNotContain("\tat ");
    assertThat(err.strip().lines()).hasSize(1);
  }
}
