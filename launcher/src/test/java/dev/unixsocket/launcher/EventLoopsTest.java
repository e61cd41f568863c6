package dev.unixsocket.launcher;

import dev.unixsocket.testkit.BlockingClient;
import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code uds server --event-loops}: by default a handler verticle deployed with --deploy runs on
 * the one event loop that also serves the connections, so a request per frame never changes thread.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLoopsTest {

  private final Path path = SocketPaths.fresh();
  private final List<ChildProcess> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    processes.forEach(ChildProcess::close);
    Files.deleteIfExists(path);
  }

  /** The reply of EventLoopReporter to one frame, from a server started with these extra options. */
  private String handlerThread(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("server", "--path", path.toString(), "--handler", "eventbus",
        "--deploy", EventLoopReporter.class.getName()));
    args.addAll(List.of(options));
    ChildProcess server = ChildProcess.start(Main.class, args.toArray(new String[0]));
    processes.add(server);
    assertThat(server.nextOut()).startsWith("listening on " + path);
    try (BlockingClient c = BlockingClient.connect(path)) {
      c.writeFrame("which thread?");
      return c.readFrame();
    }
  }

  @Test
  void byDefaultTheHandlerSharesTheOnlyEventLoopWithTheConnections() throws Exception {
    // One event-loop thread in the process: the connection was read on it, and the handler answered on it.
    assertThat(handlerThread()).isEqualTo("vert.x-eventloop-thread-0 of 1");
  }

  @Test
  void moreEventLoopsPutTheHandlerOnAThreadOfItsOwn() throws Exception {
    // Vert.x hands each new context the next loop: the handler's and the connections' are not the same.
    assertThat(handlerThread("--event-loops", "3")).matches("vert\\.x-eventloop-thread-[0-2] of [23]");
  }

  @Test
  void fewerEventLoopsThanInstancesIsBadUsage() {
    CommandLine cl = Main.commandLine("server");
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("server", "--path", "/tmp/never-made.sock", "--instances", "2", "--event-loops", "1"))
        .isEqualTo(2);
    assertThat(err.toString()).startsWith("uds server: --event-loops must be at least 1 and at least --instances (2), got 1");
  }
}
