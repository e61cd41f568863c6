package dev.unixsocket.launcher;

import dev.unixsocket.loadgen.BenchCommand;
import io.vertx.launcher.application.VertxApplication;
import picocli.CommandLine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Entry point of {@code uds.jar}. The commands ({@code server}, {@code client}, ...) go to
 * picocli; anything else is the standard Vert.x launcher ({@code java -jar uds.jar
 * dev.unixsocket.server.ServerVerticle -conf cfg.json}), running on the native transport.
 */
public final class Main {

  private static final Set<String> COMMANDS = Set.of("server", "client", "bench", "demo", "help", "-h", "--help", "-V", "--version");

  /** The subcommands, in the order {@code uds --help} lists them. */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("server", ServerCommand::new);
    SUBCOMMANDS.put("client", ClientCommand::new);
    SUBCOMMANDS.put("bench", BenchCommand::new);
    SUBCOMMANDS.put("demo", DemoCommand::new);
  }

  private Main() {
  }

  /** Netty reads it once, when its pooled allocator is first loaded: set before anything loads Netty. */
  static final String CACHED_BUFFER_PROPERTY = "io.netty.allocator.maxCachedBufferCapacity";

  public static void main(String[] args) {
    nettyDefaults();
    if (isStandardLaunch(args)) {
      // launch() returns once the verticle is deployed: Vert.x's threads keep it running, and the
      // launcher's shutdown hook undeploys it on SIGINT/SIGTERM. Exiting here would stop it at once.
      int code = new VertxApplication(args, new StandardLaunchHooks(args)).launch();
      if (code != 0) {
        System.exit(code);
      }
      return;
    }
    System.exit(commandLine(args).execute(args));
  }

  /**
   * Pooled buffers up to 256 KiB stay in each thread's cache (Netty's default: 32 KiB), and the
   * server reads up to that much at a time: fewer receive calls for frames of 8 KiB and more
   * (bench/NOTES.md, issue 11). A {@code -D} on the command line wins.
   */
  static void nettyDefaults() {
    if (System.getProperty(CACHED_BUFFER_PROPERTY) == null) {
      System.setProperty(CACHED_BUFFER_PROPERTY, "262144");
    }
  }

  /**
   * Anything but one of our commands goes to the standard Vert.x launcher: a verticle class on
   * the class path, a verticle with a factory prefix ({@code js:...}), or the launcher's own
   * options first. Any other word is a mistyped command ({@code uds sever}): ours to refuse in
   * one line, where the launcher would print a ClassNotFoundException's stack trace (exit 15).
   */
  static boolean isStandardLaunch(String[] args) {
    if (args.length == 0 || COMMANDS.contains(args[0])) {
      return false;
    }
    String first = args[0];
    return first.startsWith("-") || first.indexOf(':') >= 0 || isClass(first);
  }

  private static boolean isClass(String name) {
    try {
      Class.forName(name, false, Main.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    } catch (LinkageError e) {
      return true; // there but broken: the launcher says how
    }
  }

  /**
   * The command line for these arguments. Picocli builds the model of every subcommand it is
   * given, by reflection, before parsing; when the first argument names one, only that one is
   * added (the others cost ~30 ms of a server's start). Its help and errors are the same, since
   * they name only itself and {@code uds}.
   */
  static CommandLine commandLine(String... commandArgs) {
    CommandLine cl = new CommandLine(new UdsCommand());
    String first = commandArgs.length > 0 ? commandArgs[0] : null;
    SUBCOMMANDS.forEach((name, command) -> {
      if (!SUBCOMMANDS.containsKey(first) || name.equals(first)) {
        cl.addSubcommand(name, command.get());
      }
    });
    if (!SUBCOMMANDS.containsKey(first)) {
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    CommandLine bench = cl.getSubcommands().get("bench");
    if (bench != null) {
      // BenchCommand lives in the loadgen module, which cannot see Version: without it -V printed nothing.
      bench.getCommandSpec().versionProvider(new Version());
    }
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
      line.getErr().println(name + ": " + message(e));
      line.getErr().println("Try '" + name + " --help' for more information.");
      return CommandLine.ExitCode.USAGE;
    });
    return cl;
  }

  /** The parameter error in one line; a first word that names nothing says so, with picocli's guess. */
  private static String message(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && e.getCommandLine().getParent() == null
        && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      List<String> guesses = u.getSuggestions();
      return "unknown command or verticle class '" + u.getUnmatched().get(0) + "'"
          + (guesses.isEmpty() ? "" : " (did you mean '" + guesses.get(0) + "'?)");
    }
    return e.getMessage();
  }
}
