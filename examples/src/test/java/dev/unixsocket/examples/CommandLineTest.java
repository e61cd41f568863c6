package dev.unixsocket.examples;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The examples run as the README says, each server in a process of its own with the examples
 * on the class path, answering {@code socat}: a new user's first handler.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommandLineTest {

  private final Path path = Path.of("/tmp/uds-ex-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    processes.forEach(Process::destroyForcibly);
    Files.deleteIfExists(path);
  }

  /** {@code java -cp <test class path> MAIN ARGS}: the class path holds uds's jar and the examples. */
  private Process java(String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    processes.add(p);
    return p;
  }

  /**
   * Types lines into {@code socat - UNIX-CONNECT:PATH} and reads as many reply lines. Its input
   * stays open until the replies are in, as when a user types: at end of input socat shuts down
   * its sending side, and the server closes the connection then, before event-bus replies are due.
   */
  private List<String> socat(String... lines) throws Exception {
    // socat is installed by .ci/run: a missing socat fails this test rather than skipping it.
    Process socat = new ProcessBuilder("socat", "-", "UNIX-CONNECT:" + path).start();
    processes.add(socat);
    for (String line : lines) {
      socat.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    socat.getOutputStream().flush();
    BufferedReader out = new BufferedReader(new InputStreamReader(socat.getInputStream(), StandardCharsets.UTF_8));
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      replies.add(out.readLine());
    }
    socat.getOutputStream().close();
    return replies;
  }

  @Test
  void udsServerDeploysTheHandlerGivenWithDeploy() throws Exception {
    Process server = java("dev.unixsocket.launcher.Main", "server", "--path", path.toString(), "--framing", "line",
        "--handler", "eventbus", "--deploy", UppercaseHandler.class.getName());
    String ready = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertThat(ready).startsWith("listening on " + path);
    assertThat(socat("hello", "world")).containsExactly("HELLO", "WORLD");
    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isZero();
  }

  @Test
  void theStandardLauncherRunsServerAppFromItsConfig() throws Exception {
    java("dev.unixsocket.launcher.Main", ServerApp.class.getName(),
        "-conf", "{\"path\":\"" + path + "\",\"framing\":\"line\"}");
    // The standard launcher prints no ready line: the socket file appears once the server serves.
    await().atMost(60, TimeUnit.SECONDS).until(() -> Files.exists(path));
    assertThat(socat("standard launcher")).containsExactly("STANDARD LAUNCHER");
  }
}
