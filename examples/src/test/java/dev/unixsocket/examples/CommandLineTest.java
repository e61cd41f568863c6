package dev.unixsocket.examples;

import dev.unixsocket.launcher.Main;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The examples run as the README says, each server in a process of its own with the examples
 * on the class path, answering lines as {@code socat} would send them: a new user's first handler.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommandLineTest {

  private final Path path = SocketPaths.fresh();
  private final List<ChildProcess> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    processes.forEach(ChildProcess::close);
    Files.deleteIfExists(path);
  }

  /** {@code uds ARGS} on the test class path, which holds uds's classes and the examples. */
  private ChildProcess uds(String... args) throws IOException {
    ChildProcess p = ChildProcess.start(Main.class, args);
    processes.add(p);
    return p;
  }

  /**
   * Sends lines as {@code socat - UNIX-CONNECT:PATH} does when a user types them, and reads as
   * many reply lines. The sending side stays open until the replies are in, as when a user types:
   * at end of input the server closes the connection, before event-bus replies are due.
   */
  private List<String> typed(String... lines) throws Exception {
    try (BlockingClient c = BlockingClient.connect(path)) {
      for (String line : lines) {
        c.writeRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < lines.length; i++) {
        replies.add(c.readLine());
      }
      return replies;
    }
  }

  @Test
  void udsServerDeploysTheHandlerGivenWithDeploy() throws Exception {
    ChildProcess server = uds("server", "--path", path.toString(), "--framing", "line",
        "--handler", "eventbus", "--deploy", UppercaseHandler.class.getName());
    assertThat(server.nextOut()).startsWith("listening on " + path);
    assertThat(typed("hello", "world")).containsExactly("HELLO", "WORLD");
    assertThat(server.terminate()).isZero();
  }

  @Test
  void theStandardLauncherRunsServerAppFromItsConfig() throws Exception {
    uds(ServerApp.class.getName(), "-conf", "{\"path\":\"" + path + "\",\"framing\":\"line\"}");
    // The standard launcher prints no ready line: the socket file appears once the server serves.
    await().atMost(60, TimeUnit.SECONDS).until(() -> Files.exists(path));
    assertThat(typed("standard launcher")).containsExactly("STANDARD LAUNCHER");
  }
}
