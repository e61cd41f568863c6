package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code uds demo} as a user runs it: one process that runs a server and a client process. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoCommandTest {

  private final Path path = SocketPaths.fresh();

  @AfterEach
  void tearDown() throws IOException {
    Files.deleteIfExists(path);
  }

  /** Every stdout line up to the process's end. */
  private static List<String> allOut(ChildProcess p) throws InterruptedException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = p.nextOut();
      lines.add(line);
      if (line.startsWith("OK:") || line.startsWith("FAILED:")) {
        return lines;
      }
    }
  }

  @Test
  void restartsTheServerOnceTakesItOverOnceAndAccountsForEveryMessage() throws Exception {
    try (ChildProcess demo = ChildProcess.start(Main.class, "demo", "--messages", "7", "--path", path.toString())) {
      List<String> out = allOut(demo);
      assertThat(demo.waitFor()).as("exit status; stdout: %s", out).isZero();
      String all = String.join("\n", out);
      assertThat(all)
          .contains("server started (pid ")
          .contains("sent messages 1-4: 4 replies")
          .contains("server stopped with SIGTERM (exit 0); the client saw: DISCONNECTED " + path)
          .contains("sent message 5 while no server was listening")
          .contains("server started again on the same path")
          .contains("client reconnected: CONNECTED " + path + " (connected on reconnect attempt ")
          .contains("the queued message 5 went out after the reconnect: 1 reply, in order")
          .contains("sent message 6: 1 reply")
          .contains("a new server took the path over with --replace (pid ")
          .contains("drained its connections and exited (exit 0)")
          .contains("sent message 7 during the takeover: 1 reply, in order, none failed")
          .contains("counted: 7 sent, 7 replied, 0 failed")
          .contains("removed " + path);
      assertThat(out.get(out.size() - 1))
          .startsWith("OK: 7/7 messages answered in order; server restarted once and taken over once; client reconnected 2 time(s); ");
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void lineFramingRestartsTheServerAndSkipsTheTakeoverItCannotAsk() throws Exception {
    // A line-framed server cannot read --replace's control frame: it would run on beside the new one.
    try (ChildProcess demo = ChildProcess.start(Main.class, "demo", "--messages", "4", "--framing", "line", "--path", path.toString())) {
      List<String> out = allOut(demo);
      assertThat(demo.waitFor()).as("exit status; stdout: %s", out).isZero();
      assertThat(String.join("\n", out))
          .contains("server started again on the same path")
          .contains("no takeover with --replace: it needs length framing")
          .doesNotContain("took the path over")
          .contains("counted: 4 sent, 4 replied, 0 failed");
      assertThat(out.get(out.size() - 1)).startsWith("OK: 4/4 messages answered in order; server restarted once; client reconnected 1 time(s); ");
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void refusesAPathThatExistsAndLeavesItAlone() throws Exception {
    Files.writeString(path, "not mine");
    try (ChildProcess demo = ChildProcess.start(Main.class, "demo", "--path", path.toString())) {
      assertThat(demo.waitFor()).isEqualTo(1);
      assertThat(demo.awaitErr(l -> l.startsWith("uds demo:"))).contains("already exists").contains("choose another --path");
    }
    assertThat(Files.readString(path)).isEqualTo("not mine");
  }

  @Test
  void aServerThatCannotStartFailsTheStepAtOnceWithItsReason() throws Exception {
    Path inMissingDirectory = Path.of(path + ".d", "x.sock");
    try (ChildProcess demo = ChildProcess.start(Main.class, "demo", "--messages", "2", "--path", inMissingDirectory.toString())) {
      List<String> out = allOut(demo);
      assertThat(demo.waitFor()).isEqualTo(1);
      // Not "waited 30 s for ...": the server's exit ends the wait for its ready line.
      assertThat(out.get(out.size() - 1))
          .isEqualTo("FAILED: gave up waiting for the server to print 'listening on': the server-1 process exited with status 1");
      assertThat(demo.awaitErr(l -> l.contains("uds server: cannot listen on"))).contains("does not exist");
    }
  }

  @Test
  void badMessageCountIsAUsageError() throws Exception {
    try (ChildProcess demo = ChildProcess.start(Main.class, "demo", "--messages", "0")) {
      assertThat(demo.waitFor()).isEqualTo(2);
      assertThat(demo.awaitErr(l -> l.startsWith("uds demo:"))).contains("--messages must be between 1 and 10000");
    }
  }
}
