package dev.unixsocket.launcher;

import io.vertx.launcher.application.VertxApplication;
import picocli.CommandLine;

import java.util.Set;

/**
 * Entry point of {@code uds.jar}. The commands ({@code server}, {@code client}, ...) go to
 * picocli; anything else is the standard Vert.x launcher ({@code java -jar uds.jar
 * dev.unixsocket.server.ServerVerticle -conf cfg.json}), running on the native transport.
 */
public final class Main {

  private static final Set<String> COMMANDS = Set.of("server", "client", "bench", "demo", "help", "-h", "--help", "-V", "--version");

  private Main() {
  }

  public static void main(String[] args) {
    if (isStandardLaunch(args)) {
      // launch() returns once the verticle is deployed: Vert.x's threads keep it running, and the
      // launcher's shutdown hook undeploys it on SIGINT/SIGTERM. Exiting here would stop it at once.
      int code = new VertxApplication(args, new StandardLaunchHooks()).launch();
      if (code != 0) {
        System.exit(code);
      }
      return;
    }
    System.exit(commandLine().execute(args));
  }

  /** Anything but one of our commands goes to the standard Vert.x launcher. */
  static boolean isStandardLaunch(String[] args) {
    return args.length > 0 && !COMMANDS.contains(args[0]);
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new UdsCommand());
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      // Expected failures are one line on stderr; the stack trace is for bugs only (UDS_LOG_LEVEL=DEBUG).
      line.getErr().println(line.getCommandSpec().qualifiedName() + ": " + Failures.describe(e));
      if (Boolean.getBoolean("uds.trace") || "DEBUG".equalsIgnoreCase(System.getenv("UDS_LOG_LEVEL"))) {
        e.printStackTrace(line.getErr());
      }
      return 1;
    });
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine line = e.getCommandLine();
      String name = line.getCommandSpec().qualifiedName();
      line.getErr().println(name + ": " + e.getMessage());
      line.getErr().println("Try '" + name + " --help' for more information.");
      return CommandLine.ExitCode.USAGE;
    });
    return cl;
  }
}
