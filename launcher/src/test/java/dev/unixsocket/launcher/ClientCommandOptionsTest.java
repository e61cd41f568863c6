package dev.unixsocket.launcher;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code uds client} options that are bad usage: refused before any client starts, with exit 2. */
class ClientCommandOptionsTest {

  /** Runs {@code uds ARGS} in this JVM, on an empty stdin: a client that did start would end at once. */
  private static int run(StringWriter err, String... args) {
    CommandLine cl = Main.commandLine(args);
    cl.setErr(new PrintWriter(err, true));
    InputStream in = System.in;
    System.setIn(new ByteArrayInputStream(new byte[0]));
    try {
      return cl.execute(args);
    } finally {
      System.setIn(in);
    }
  }

  @Test
  void anUnknownTransportIsBadUsageAsTheServersIs() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "client", "--path", "/tmp/never-made.sock", "--transport", "kqueue")).isEqualTo(2);
    assertThat(err.toString()).startsWith("uds client: unknown transport 'kqueue': use auto, epoll, io_uring or nio")
        .contains("Try 'uds client --help'");
  }

  @Test
  void theHelpNamesEveryTransportTheClientTakes() {
    String help = Main.commandLine("client").getSubcommands().get("client").getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertThat(help).contains("--transport=auto|epoll|io_uring|nio");
  }

  @Test
  void aLongestReconnectDelayBelowTheFirstIsBadUsage() {
    StringWriter err = new StringWriter();
    // The default --reconnect-max is 5000 ms.
    assertThat(run(err, "client", "--path", "/tmp/never-made.sock", "--reconnect-initial", "6000")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("uds client: --reconnect-max (5000 ms) must be at least --reconnect-initial (6000 ms)");
  }

  @Test
  void aNegativeWaitIsBadUsage() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "client", "--path", "/tmp/never-made.sock", "--wait", "-1")).isEqualTo(2);
    assertThat(err.toString()).startsWith("uds client: --wait must be 0 seconds or more, was -1");
  }
}
