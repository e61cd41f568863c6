package dev.unixsocket.launcher;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
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

  private final Path path = SocketPaths.fresh();
  private final List<ChildProcess> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    processes.forEach(ChildProcess::close);
    Files.deleteIfExists(path);
  }

  private ChildProcess uds(String... args) throws IOException {
    ChildProcess p = ChildProcess.start(Main.class, args);
    processes.add(p);
    return p;
  }

  /** Starts a server and returns once it has printed its ready line. */
  private ChildProcess startServer(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("server", "--path", path.toString()));
    args.addAll(List.of(options));
    ChildProcess p = uds(args.toArray(new String[0]));
    assertThat(p.nextOut()).startsWith("listening on " + path + " (transport epoll");
    return p;
  }

  private static String echo(Path path, String text) throws IOException {
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame(text);
      return c.readFrame();
    }
  }

  @Test
  void sigtermStopsGracefullyWithStatusZeroAndRemovesTheSocket() throws Exception {
    ChildProcess server = startServer();
    assertThat(echo(path, "hi")).isEqualTo("echo:hi");
    assertThat(server.terminate()).isZero(); // SIGTERM
    assertThat(path).doesNotExist();
  }

  @Test
  void secondServerExitsOneWithOneLineAndLeavesTheFirstServing() throws Exception {
    startServer();
    ChildProcess second = uds("server", "--path", path.toString());
    assertThat(second.waitFor()).isEqualTo(1);
    assertThat(second.stderr().strip()).isEqualTo("uds server: cannot listen on " + path
        + ": in use by a running server; stop it first, take it over with --replace, or choose another path");
    assertThat(echo(path, "first")).isEqualTo("echo:first");
  }

  @Test
  void restartsOnTheStaleFileAfterKillNine() throws Exception {
    ChildProcess server = startServer();
    server.kill(); // SIGKILL: the socket file stays behind
    assertThat(path).exists();
    startServer();
    assertThat(echo(path, "again")).isEqualTo("echo:again");
  }

  @Test
  void lineFramingAnswersEachLineAndDropsTheCarriageReturn() throws Exception {
    startServer("--framing", "line");
    // What socat or nc send from a terminal: lines ending in CR LF.
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeRaw("hello\r\nworld\n".getBytes(StandardCharsets.UTF_8));
      assertThat(c.readLine()).isEqualTo("echo:hello");
      assertThat(c.readLine()).isEqualTo("echo:world");
    }
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    ChildProcess p = uds("server", "--framing", "xml");
    assertThat(p.waitFor()).isEqualTo(2);
    assertThat(p.stderr()).startsWith("uds server: unknown framing 'xml': use length or line");
  }

  @Test
  void pathOverTheKernelLimitExitsOneNotTwo() throws Exception {
    String tooLong = "/tmp/" + "x".repeat(103) + ".sock";
    ChildProcess p = uds("server", "--path", tooLong);
    assertThat(p.waitFor()).as("a path that cannot be served is exit 1; 2 is for bad usage").isEqualTo(1);
    String err = p.stderr();
    assertThat(err).startsWith("uds server: socket path is 113 bytes, over the kernel's limit of 107")
        .doesNotContain("--help");
    assertThat(err.strip().lines()).hasSize(1);
  }

  @Test
  void missingDirectoryExitsOneWithoutAStackTrace() throws Exception {
    ChildProcess p = uds("server", "--path", "/tmp/missing-" + UUID.randomUUID().toString().substring(0, 6) + "/x.sock");
    assertThat(p.waitFor()).isEqualTo(1);
    String err = p.stderr();
    assertThat(err).contains("does not exist").doesNotContain("\tat ");
    assertThat(err.strip().lines()).hasSize(1);
  }

  @Test
  void aFileWhereTheDirectoryShouldBeIsNamedAsSuchNotAsMissing() throws Exception {
    Path file = Path.of(path + ".f");
    Files.writeString(file, "not a directory");
    try {
      ChildProcess p = uds("server", "--path", file + "/x.sock");
      assertThat(p.waitFor()).isEqualTo(1);
      assertThat(p.stderr().strip()).isEqualTo("uds server: cannot listen on " + file + "/x.sock: " + file
          + " is not a directory; choose another path");
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void aVerticleToDeployThatIsNotOnTheClassPathIsNamedInOneLine() throws Exception {
    ChildProcess p = uds("server", "--path", path.toString(), "--deploy", "com.example.NotThere");
    assertThat(p.waitFor()).isEqualTo(1);
    assertThat(p.stderr().strip()).isEqualTo("uds server: cannot deploy com.example.NotThere: no such class on the class"
        + " path (add its jar: with ./uds, UDS_CLASSPATH=app.jar)");
    assertThat(path).doesNotExist();
  }

  @Test
  void byDefaultAHandlerSharesTheOnlyEventLoopWithTheConnections() throws Exception {
    // EventLoopReporter answers with its thread and the event-loop threads the process started: one
    // loop in all, so the frame was read on the thread the handler answered on.
    startServer("--handler", "eventbus", "--deploy", EventLoopReporter.class.getName());
    assertThat(echo(path, "which thread?")).isEqualTo("vert.x-eventloop-thread-0 of 1");
  }

  @Test
  void moreEventLoopsPutTheHandlerOnAThreadOfItsOwn() throws Exception {
    // Vert.x hands each new context the next loop: the handler's and the connections' differ.
    startServer("--handler", "eventbus", "--deploy", EventLoopReporter.class.getName(), "--event-loops", "3");
    assertThat(echo(path, "which thread?")).matches("vert\\.x-eventloop-thread-[0-2] of [23]");
  }
}
