package dev.unixsocket.launcher;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.transport.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  @Option(names = "--path", paramLabel = "PATH",
      description = "Socket path (default: $XDG_RUNTIME_DIR/unixsocket.sock if set, else /tmp/unixsocket.sock).")
  String path = ServerOptions.DEFAULT_PATH;

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

  @Option(names = "--handler", paramLabel = "echo|eventbus",
      description = {"echo: answer prefix+payload; eventbus: send each frame to the inbound address and write back the reply",
          "(default: ${DEFAULT-VALUE})."}, defaultValue = "echo")
  String handler;

  @Option(names = "--inbound-address", paramLabel = "ADDRESS",
      description = "Event-bus address frames go to with --handler eventbus (default: ${DEFAULT-VALUE}).",
      defaultValue = ServerOptions.DEFAULT_INBOUND_ADDRESS)
  String inboundAddress;

  @Option(names = "--request-timeout", paramLabel = "MS",
      description = "With --handler eventbus: answer with an error frame after this long (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ServerOptions.DEFAULT_REQUEST_TIMEOUT_MS)
  long requestTimeoutMs;

  @Option(names = "--handler-batch", paramLabel = "N",
      description = {"With --handler eventbus: send the frames of one read, up to N, as one request whose body is a JsonArray",
          "of them; the reply is a JsonArray as long (default: ${DEFAULT-VALUE} = a request per frame)."},
      defaultValue = "" + ServerOptions.DEFAULT_HANDLER_BATCH)
  int handlerBatch;

  @Option(names = "--deploy", paramLabel = "CLASS",
      description = "Also deploy this verticle first (e.g. your --handler eventbus consumer; put its jar on the class path). Repeatable.")
  List<String> deploy = new ArrayList<>();

  @Option(names = "--allow-uid", paramLabel = "UID", split = ",",
      description = "Only peers with these uids may connect (SO_PEERCRED); default: any peer the file mode lets in.")
  List<String> allowUids = new ArrayList<>();

  @Option(names = "--max-connections", paramLabel = "N",
      description = "Connections open at once; more are closed when accepted (default: no limit).", defaultValue = "0")
  int maxConnections;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS",
      description = "Close a connection that completes no frame for this long (default: 0 = never).", defaultValue = "0")
  int idleTimeoutSeconds;

  @Mixin
  MetricsOption metrics;

  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() {
    ServerOptions options = options();
    Transport chosen = options.getTransport().resolve();
    VerticleRun run = VerticleRun.deploy(ServerVerticle.class.getName(), options.toJson(), chosen, metrics.endpoint(),
        cluster.settings(), VerticleRun.deployAll(deploy), ctx ->
        // The one line on stdout that scripts wait for.
        System.out.println("listening on " + Path.of(options.getPath()).toAbsolutePath().normalize()
            + " (transport " + TransportChoice.nameOf(ctx.vertx()) + ", framing " + options.getFraming().label() + ")"));
    System.out.flush();
    return run.awaitSignalAndStop();
  }

  /**
   * The options from the command line. A value a setter refuses is bad usage (exit 2), except the
   * path: one the kernel cannot bind (over 107 bytes) is a path this server cannot serve, like a
   * missing directory (exit 1, from the execution handler). Usage is checked first, so a command
   * line with both faults is told about its usage.
   */
  ServerOptions options() {
    ServerOptions options;
    try {
      options = new ServerOptions()
          .setFraming(Framing.of(framing))
          .setEchoPrefix(echoPrefix)
          .setMaxFrame(maxFrame)
          .setSocketMode(ServerOptions.parseMode(socketMode))
          .setInstances(instances)
          .setTransport(TransportChoice.of(transport))
          .setHandler(FrameHandler.of(handler))
          .setInboundAddress(inboundAddress)
          .setRequestTimeoutMs(requestTimeoutMs)
          .setHandlerBatch(handlerBatch)
          .setAllowUids(ServerOptions.parseUids(String.join(",", allowUids)))
          .setMaxConnections(maxConnections)
          .setIdleTimeoutSeconds(idleTimeoutSeconds);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return options.setPath(path);
  }
}
