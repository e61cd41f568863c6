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
}
