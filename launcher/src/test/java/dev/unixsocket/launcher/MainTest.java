package dev.unixsocket.launcher;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

  @Test
  void allSubcommandsUnlessTheFirstArgumentNamesOne() {
    assertThat(Main.commandLine().getSubcommands().keySet()).containsExactly("server", "client", "bench", "demo");
    assertThat(Main.commandLine("--help").getSubcommands().keySet()).containsExactly("server", "client", "bench", "demo");
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
