package dev.unixsocket.launcher;

import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.TransportChoice;
import io.vertx.core.transport.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code uds server}: runs the server verticle in this process until SIGINT or SIGTERM. */
@Command(name = "server",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
        "Serves framed messages on a Unix domain socket until SIGINT/SIGTERM.",
        "Prints 'listening on PATH ...' on stdout when ready; diagnostics go to stderr."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:after a graceful stop",
        "1:cannot serve (path in use, bad path, permission)",
        "2:bad usage"})
final class ServerCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--path", paramLabel = "PATH", description = "Socket path (default: ${DEFAULT-VALUE}).",
      defaultValue = ServerOptions.DEFAULT_PATH)
  String path;

  @Option(names = "--framing", paramLabel = "length|line", description = "Frame format (default: ${DEFAULT-VALUE}).",
      defaultValue = "length")
  String framing;

  @Option(names = "--echo-prefix", paramLabel = "TEXT", description = "Put before each echoed payload (default: ${DEFAULT-VALUE}).",
      defaultValue = ServerOptions.DEFAULT_ECHO_PREFIX)
  String echoPrefix;

  @Option(names = "--max-frame", paramLabel = "BYTES",
      description = "Largest payload; a larger frame closes its connection (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ServerOptions.DEFAULT_MAX_FRAME)
  int maxFrame;

  @Option(names = "--socket-mode", paramLabel = "OCTAL", description = "Permission bits of the socket file (default: ${DEFAULT-VALUE}).",
      defaultValue = "600")
  String socketMode;

  @Option(names = "--instances", paramLabel = "N", description = "Event loops serving connections (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int instances;

  @Option(names = "--transport", paramLabel = "auto|epoll|io_uring|nio",
      description = "Netty transport; auto = epoll where available (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String transport;

  @Override
  public Integer call() {
    ServerOptions options = options();
    Transport chosen = options.getTransport().resolve();
    VerticleRun run = VerticleRun.deploy(ServerVerticle.class.getName(), options.toJson(), chosen, ctx ->
        // The one line on stdout that scripts wait for.
        System.out.println("listening on " + Path.of(options.getPath()).toAbsolutePath().normalize()
            + " (transport " + TransportChoice.nameOf(ctx.vertx()) + ", framing " + options.getFraming().label() + ")"));
    System.out.flush();
    return run.awaitSignalAndStop();
  }

  /** The options from the command line; a bad value is a usage error (exit 2). */
  ServerOptions options() {
    try {
      return new ServerOptions()
          .setPath(path)
          .setFraming(Framing.of(framing))
          .setEchoPrefix(echoPrefix)
          .setMaxFrame(maxFrame)
          .setSocketMode(ServerOptions.parseMode(socketMode))
          .setInstances(instances)
          .setTransport(TransportChoice.of(transport));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
