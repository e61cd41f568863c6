package dev.unixsocket.launcher;

import picocli.CommandLine.Command;

/** The top command: {@code uds <command> [options]}; {@link Main#commandLine} adds the subcommands. */
@Command(name = "uds",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Fast, reliable messaging between processes over Unix domain sockets (Vert.x verticles).",
    footer = {"", "Also: java -jar uds.jar <VerticleClass> -conf cfg.json (the standard Vert.x launcher)."})
final class UdsCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a command is required: server, client, bench or demo");
  }
}
