package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

  @Test
  void allSubcommandsUnlessTheFirstArgumentNamesOne() {
    assertThat(Main.commandLine().getSubcommands().keySet()).containsExactly("server", "client", "bench", "demo", "help");
    assertThat(Main.commandLine("--help").getSubcommands().keySet()).containsExactly("server", "client", "bench", "demo", "help");
    assertThat(Main.commandLine("server", "--path", "x").getSubcommands().keySet()).containsExactly("server");
    assertThat(Main.commandLine("bench").getSubcommands().keySet()).containsExactly("bench");
  }

  @Test
  void aSubcommandAloneHasTheSameHelp() {
    for (String name : new String[] {"server", "client", "bench", "demo"}) {
      CommandLine alone = Main.commandLine(name).getSubcommands().get(name);
      CommandLine withOthers = Main.commandLine().getSubcommands().get(name);
      assertThat(alone.getUsageMessage(CommandLine.Help.Ansi.OFF))
          .isEqualTo(withOthers.getUsageMessage(CommandLine.Help.Ansi.OFF))
          .startsWith("Usage: uds " + name + " ");
    }
  }

  /** Runs {@code uds ARGS} in this JVM; returns exit status, stdout and stderr. */
  private static String[] run(String... args) {
    CommandLine cl = Main.commandLine(args);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new String[] {"" + code, out.toString(), err.toString()};
  }

  @Test
  void helpCommandPrintsTheUsageOfTheCommandItNames() {
    String[] all = run("help");
    assertThat(all[0]).isEqualTo("0");
    assertThat(all[1]).startsWith("Usage: uds ").contains("server", "client", "bench", "demo");
    String[] server = run("help", "server");
    assertThat(server[0]).isEqualTo("0");
    assertThat(server[1]).isEqualTo(Main.commandLine("server").getSubcommands().get("server")
        .getUsageMessage(CommandLine.Help.Ansi.OFF));
    assertThat(server[2]).isEmpty();
  }

  @Test
  void everyCommandPrintsTheVersion() {
    for (String name : new String[] {"server", "client", "bench", "demo"}) {
      String[] v = run(name, "--version");
      assertThat(v[0]).isEqualTo("0");
      assertThat(v[1]).as("uds %s --version", name).startsWith("uds ").contains("(Java ");
    }
  }

  @Test
  void onlyAClassOnTheClassPathOrTheLaunchersOptionsGoToTheStandardLauncher() {
    assertThat(Main.isStandardLaunch(new String[] {"dev.unixsocket.server.ServerVerticle", "-conf", "{}"})).isTrue();
    assertThat(Main.isStandardLaunch(new String[] {"-cluster", "dev.unixsocket.server.ServerVerticle"})).isTrue();
    assertThat(Main.isStandardLaunch(new String[] {"js:app.js"})).isTrue();
    assertThat(Main.isStandardLaunch(new String[] {"server"})).isFalse();
    assertThat(Main.isStandardLaunch(new String[] {"sever", "--path", "/tmp/x.sock"})).isFalse();
    assertThat(Main.isStandardLaunch(new String[] {"com.example.NotThere"})).isFalse();
  }

  @Test
  void aMistypedCommandIsBadUsageInOneLineNotAStackTrace() throws Exception {
    try (ChildProcess p = ChildProcess.start(Main.class, "sever", "--path", "/tmp/never-made.sock")) {
      assertThat(p.waitFor()).isEqualTo(2);
      assertThat(p.stderr().strip().lines()).containsExactly(
          "uds: unknown command or verticle class 'sever' (did you mean 'server'?)",
          "Try 'uds --help' for more information.");
    }
  }

  @Test
  void nettysThreadCacheKeeps256KiBBuffersUnlessTheCommandLineSaysOtherwise() {
    String before = System.getProperty(Main.CACHED_BUFFER_PROPERTY);
    try {
      System.clearProperty(Main.CACHED_BUFFER_PROPERTY);
      Main.nettyDefaults();
      assertThat(System.getProperty(Main.CACHED_BUFFER_PROPERTY)).isEqualTo("262144");

      System.setProperty(Main.CACHED_BUFFER_PROPERTY, "16384");
      Main.nettyDefaults();
      assertThat(System.getProperty(Main.CACHED_BUFFER_PROPERTY)).isEqualTo("16384");
    } finally {
      if (before == null) {
        System.clearProperty(Main.CACHED_BUFFER_PROPERTY);
      } else {
        System.setProperty(Main.CACHED_BUFFER_PROPERTY, before);
      }
    }
  }
}
