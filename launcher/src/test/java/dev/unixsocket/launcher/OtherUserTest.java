package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A peer running as another user, for real: the server runs as {@code uds server} in a child
 * process, and the peer is {@code socat} started through {@code setpriv} as uid 65534 (nobody).
 * That needs root (CI runs as root) or CAP_SETUID; where it is impossible every test here is
 * skipped, saying why.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OtherUserTest {

  private static final int OTHER_UID = 65534;

  private final Path path = SocketPaths.fresh();
  private final List<ChildProcess> servers = new ArrayList<>();

  @BeforeAll
  static void anotherUserCanBeImpersonated() throws Exception {
    assumeTrue(onPath("socat"), "socat is not installed: cannot act as a peer of another user (apt-get install socat)");
    assumeTrue(onPath("setpriv"), "setpriv is not installed: cannot run a peer as another user (apt-get install util-linux)");
    assumeTrue(myUid() != OTHER_UID, "this test runs as uid " + OTHER_UID + " itself: no other user to be");
    Process p = new ProcessBuilder(asOtherUser("id", "-u")).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.equals(Integer.toString(OTHER_UID)),
        "cannot switch to uid " + OTHER_UID + " with setpriv (needs root or CAP_SETUID): " + out);
  }

  @AfterEach
  void tearDown() throws IOException {
    servers.forEach(ChildProcess::close);
    Files.deleteIfExists(path);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"epoll", "nio"})
  void otherUserIsRefusedByTheAllowList_withAWarningNamingItsUid_whileOurUidIsServed(String transport) throws Exception {
    ChildProcess server = server("--socket-mode", "666", "--allow-uid", Integer.toString(myUid()), "--transport", transport);

    Peer other = connect(true, "let me in");
    assertThat(other.stdout).as("reply to uid %d", OTHER_UID).isEmpty();
    String warn = server.awaitErr(l -> l.contains("refused peer"));
    assertThat(warn).contains("WARN").contains("uid " + OTHER_UID).contains("not in the allow-list");
    if (transport.equals("epoll")) {
      // setpriv execs socat: the peer's pid is the process we started.
      assertThat(warn).contains("pid " + other.pid + ",");
    }

    assertThat(connect(false, "me").stdout).isEqualTo("echo:me");
  }

  @Test
  void otherUserIsServedWithoutAnAllowListWhenTheModeLetsItIn() throws Exception {
    server("--socket-mode", "666");
    assertThat(connect(true, "hello from nobody").stdout).isEqualTo("echo:hello from nobody");
  }

  @Test
  void otherUserCannotEvenConnectWithTheDefaultMode() throws Exception {
    server();
    Peer other = connect(true, "let me in");
    assertThat(other.stdout).isEmpty();
    assertThat(other.stderr).contains("Permission denied");
  }

  /** Starts {@code uds server} with line framing on this test's path, and waits until it listens. */
  private ChildProcess server(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("server", "--path", path.toString(), "--framing", "line"));
    args.addAll(List.of(options));
    ChildProcess server = ChildProcess.start(Main.class, args.toArray(new String[0]));
    servers.add(server);
    assertThat(server.nextOut()).startsWith("listening on " + path);
    return server;
  }

  private record Peer(long pid, String stdout, String stderr) {
  }

  /**
   * Sends one line with socat, as the other user or as us, and returns the first line that comes
   * back ("" when the server closes first or the connect fails), socat's stderr and its pid.
   */
  private Peer connect(boolean asOtherUser, String line) throws Exception {
    List<String> socat = List.of("socat", "-t", "10", "-", "UNIX-CONNECT:" + path);
    // stderr to a file: destroying the process closes its pipes.
    Path errFile = Files.createTempFile("uds-socat", ".err");
    Process p = new ProcessBuilder(asOtherUser ? asOtherUser(socat.toArray(new String[0])) : socat)
        .redirectError(errFile.toFile()).start();
    try {
      try (OutputStream in = p.getOutputStream()) {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String reply = out.readLine(); // a line, or end of stream when the server closes (bounded by socat's -t 10)
      p.destroy(); // a served connection stays open: we have what we came for
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("socat exited").isTrue();
      String err = Files.readString(errFile);
      return new Peer(p.pid(), reply == null ? "" : reply, err);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(errFile);
    }
  }

  private static List<String> asOtherUser(String... command) {
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + OTHER_UID, "--regid=" + OTHER_UID, "--clear-groups"));
    cmd.addAll(List.of(command));
    return cmd;
  }

  private static int myUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
