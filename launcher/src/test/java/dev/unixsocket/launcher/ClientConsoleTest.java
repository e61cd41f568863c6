package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console client and the server as two processes, as a user runs them: the original Go
 * project's scenario, where the last send must work after the server came back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientConsoleTest {

  private final Path path = SocketPaths.fresh();

  @AfterEach
  void tearDown() throws IOException {
    Files.deleteIfExists(path);
  }

  private ChildProcess server() throws Exception {
    ChildProcess server = ChildProcess.start(Main.class, "server", "--path", path.toString());
    assertThat(server.nextOut()).startsWith("listening on " + path);
    return server;
  }

  @Test
  void lastSendWorksAfterTheServerRestarts() throws Exception {
    ChildProcess first = server();
    try (ChildProcess client = ChildProcess.start(Main.class, "client", "--path", path.toString(), "--hello", "hello world",
        "--reconnect-initial", "50", "--reconnect-max", "200")) {
      client.awaitErr(l -> l.contains("CONNECTED"));
      client.typeLine("before");
      assertThat(client.nextOut()).isEqualTo("echo:before");

      assertThat(first.terminate()).isZero();
      client.awaitErr(l -> l.contains("DISCONNECTED"));
      client.typeLine("while down"); // cannot be sent yet: held in the queue

      try (ChildProcess second = server()) {
        client.awaitErr(l -> l.contains("CONNECTED"));
        client.awaitErr(l -> l.contains("(hello) echo:hello world"));
        client.typeLine("after");
        assertThat(client.nextOut()).isEqualTo("echo:while down");
        assertThat(client.nextOut()).isEqualTo("echo:after");
        client.typeLine("q");
        assertThat(client.waitFor()).isZero();
        assertThat(client.awaitErr(l -> l.contains(" sent, "))).endsWith("3 sent, 3 replied, 0 failed");
        assertEndedCleanly(client);
      }
    } finally {
      first.kill();
    }
  }

  @Test
  void endOfInputWithAnUnansweredMessageExitsOne() throws Exception {
    // No server at all: the message waits in the queue, the bounded wait ends, the client says so.
    try (ChildProcess client = ChildProcess.start(Main.class, "client", "--path", path.toString(), "--wait", "1")) {
      client.typeLine("nobody listens");
      client.endInput();
      assertThat(client.waitFor()).isEqualTo(1);
      assertThat(client.awaitErr(l -> l.contains("'nobody listens' failed"))).contains("client stopped");
      assertEndedCleanly(client);
    }
  }

  @Test
  void theUnansweredCountLeavesOutMessagesThatAlreadyFailed() throws Exception {
    // No server: the first message waits in a queue of one, the next two fail at once (QUEUE_FULL)
    // but are printed only after it, in order.
    try (ChildProcess client = ChildProcess.start(Main.class, "client", "--path", path.toString(), "--queue", "1", "--wait", "1")) {
      client.typeLine("waits");
      client.typeLine("full 1");
      client.typeLine("full 2");
      client.endInput();
      assertThat(client.waitFor()).isEqualTo(1);
      List<String> err = client.errAfterExit();
      assertThat(err).contains("uds client: 1 message(s) still unanswered after 1 s");
      assertThat(err).anyMatch(l -> l.startsWith("uds client: message 3 'full 2' failed: queue full"));
      assertThat(err).contains("uds client: 3 sent, 0 replied, 3 failed");
    }
  }

  /** The console shows the client's last status, and Vert.x discards no message on the way out. */
  private void assertEndedCleanly(ChildProcess client) throws InterruptedException {
    List<String> err = client.errAfterExit();
    assertThat(err).contains("uds client: STOPPED " + path + " (client stopped)");
    assertThat(err).noneMatch(l -> l.contains("Discarding message"));
  }

  @Test
  void pathOverTheKernelLimitExitsOne() throws Exception {
    try (ChildProcess client = ChildProcess.start(Main.class, "client", "--path", "/tmp/" + "x".repeat(103) + ".sock")) {
      assertThat(client.waitFor()).as("a path that cannot name a socket is exit 1; 2 is for bad usage").isEqualTo(1);
      assertThat(client.awaitErr(l -> l.startsWith("uds client:"))).contains("over the kernel's limit of 107");
    }
  }

  @Test
  void badOptionIsAUsageError() throws Exception {
    try (ChildProcess client = ChildProcess.start(Main.class, "client", "--queue", "0")) {
      assertThat(client.waitFor()).isEqualTo(2);
      assertThat(client.awaitErr(l -> l.startsWith("uds client:"))).contains("queue");
    }
  }
}
