package dev.unixsocket.launcher;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code uds server} options parsed in this JVM (no server is started). */
class ServerCommandOptionsTest {

  @Test
  void handlerBatchReachesTheServerOptions() {
    CommandLine cl = Main.commandLine("server");
    CommandLine.ParseResult parsed = cl.parseArgs("server", "--handler", "eventbus", "--handler-batch", "64");
    ServerCommand server = parsed.subcommand().commandSpec().commandLine().getCommand();
    assertThat(server.options().getHandlerBatch()).isEqualTo(64);
    CommandLine.ParseResult defaults = Main.commandLine("server").parseArgs("server");
    assertThat(((ServerCommand) defaults.subcommand().commandSpec().commandLine().getCommand()).options().getHandlerBatch())
        .isEqualTo(1);
  }

  @Test
  void aBatchOutOfRangeIsBadUsage() {
    CommandLine cl = Main.commandLine("server");
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("server", "--path", "/tmp/never-made.sock", "--handler-batch", "0")).isEqualTo(2);
    assertThat(err.toString()).startsWith("uds server: handlerBatch must be between 1 and 65536, was 0");
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
