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

  @Test
  void theProcessAllowsItsStopAsLongAsTheLongestDrain() {
    // It used to give up on any stop after 30 s: a --drain-timeout 40 drain was cut there and its
    // connections reset while they were still being answered (and the exit status was 0).
    assertThat(ServerCommand.stopLimitMs(parsed("--drain-timeout", "40").options())).isGreaterThan(40_000 + 5_000);
    assertThat(ServerCommand.stopLimitMs(parsed("--handler", "eventbus", "--request-timeout", "60000").options()))
        .as("replies to what was read may take the request timeout after the drain timeout")
        .isGreaterThan(10_000 + 5_000 + 60_000);
  }

  private static ServerCommand parsed(String... options) {
    String[] args = new String[options.length + 1];
    args[0] = "server";
    System.arraycopy(options, 0, args, 1, options.length);
    return Main.commandLine("server").parseArgs(args).subcommand().commandSpec().commandLine().getCommand();
  }
}
