package dev.unixsocket.launcher;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerStartException;
import dev.unixsocket.server.SocketActivation;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import io.vertx.core.Vertx;

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

  /** Time to close Vert.x once the server has drained. */
  private static final long CLOSE_AFTER_DRAIN_MS = 10_000;

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

  @Option(names = "--event-loops", paramLabel = "N",
      description = "Vert.x event-loop threads in this process (default: the --instances value). So a verticle "
          + "deployed with --deploy runs on a thread that serves connections: a request per frame then needs "
          + "no hand-off between threads (Vert.x's own default is twice the CPUs).")
  Integer eventLoops;

  @Option(names = "--transport", paramLabel = "auto|epoll|io_uring|nio",
      description = "Netty transport; auto = epoll where available (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String transport;

  @Option(names = "--handler", paramLabel = "echo|eventbus",
      description = "echo: answer prefix+payload; eventbus: send each frame to the inbound address and write back the"
          + " reply (default: ${DEFAULT-VALUE}).", defaultValue = "echo")
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
      description = "With --handler eventbus: send the frames of one read, up to N, as one request whose body is a "
          + "JsonArray of them; the reply is a JsonArray as long (default: ${DEFAULT-VALUE} = a request per "
          + "frame).",
      defaultValue = "" + ServerOptions.DEFAULT_HANDLER_BATCH)
  int handlerBatch;

  @Option(names = "--deploy", paramLabel = "CLASS",
      description = "Also deploy this verticle first (e.g. your --handler eventbus consumer; put its jar on the class"
          + " path). Repeatable.")
  List<String> deploy = new ArrayList<>();

  @Option(names = "--allow-uid", paramLabel = "UID", split = ",",
      description = "Only peers with these uids may connect (SO_PEERCRED); default: any peer the file mode lets in.")
  List<String> allowUids = new ArrayList<>();

  @Option(names = "--max-connections", paramLabel = "N",
      description = "Connections open at once; more are closed when accepted, save up to 3 from our own user or root"
          + " for a --replace (default: no limit).", defaultValue = "0")
  int maxConnections;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS",
      description = "Close a connection that completes no frame for this long (default: 0 = never).",
      defaultValue = "0")
  int idleTimeoutSeconds;

  @Option(names = "--drain-timeout", paramLabel = "SECONDS",
      description = "On stop or takeover: how long peers may take to confirm they stopped writing; then reading "
          + "stops, what was read is answered and the connection closes (default: ${DEFAULT-VALUE}).",
      defaultValue = "10")
  String drainTimeout;

  @Option(names = "--replace",
      description = "Take over PATH from a live server of ours: bind beside it, rename over it (no moment without a "
          + "listener), then tell the old server to drain and exit. Without it a live PATH is refused. Length framing"
          + " only.")
  boolean replace;

  @Mixin
  MetricsOption metrics;

  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() {
    ServerOptions options = options();
    int loops = eventLoops();
    activation(options);
    Transport chosen = options.getTransport().resolve();
    // Another `uds server --replace` taking our path over stops this process as SIGTERM does (exit
    // 0); the consumer is there before the server verticle can be asked.
    AtomicReference<VerticleRun> running = new AtomicReference<>();
    AtomicReference<String> takenOver = new AtomicReference<>();
    Consumer<Vertx> before = vertx -> {
      vertx.eventBus().<String>localConsumer(ServerVerticle.TAKEN_OVER_ADDRESS, m -> {
        m.reply(null);
        takenOver.set("taken over by a new server at " + m.body());
        VerticleRun r = running.get();
        if (r != null) {
          r.stopGracefully(takenOver.get());
        }
      });
      VerticleRun.deployAll(deploy).accept(vertx);
    };
    VerticleRun run = VerticleRun.deploy(ServerVerticle.class.getName(), options.toJson(), chosen, metrics.endpoint(),
        cluster.settings(), loops, before, ctx ->
        // The one line on stdout that scripts wait for.
        System.out.println("listening on " + Path.of(options.getPath()).toAbsolutePath().normalize()
            + " (transport " + TransportChoice.nameOf(ctx.vertx()) + ", framing " + options.getFraming().label()
            + (options.getInheritedFd() >= 0 ? ", inherited fd " + options.getInheritedFd() : "") + ")"));
    System.out.flush();
    run.allowStopFor(stopLimitMs(options));
    running.set(run);
    if (takenOver.get() != null) {
      run.stopGracefully(takenOver.get());
    }
    return run.awaitSignalAndStop();
  }

  /**
   * How long a stop may take before the process gives up on it: the server's longest drain, and
   * time to close Vert.x after it (a cluster leave, say). A shorter limit would cut a drain of a
   * long --drain-timeout short, resetting the connections it was still answering.
   */
  static long stopLimitMs(ServerOptions options) {
    return ServerVerticle.longestDrainMs(options) + CLOSE_AFTER_DRAIN_MS;
  }

  /**
   * The event-loop pool: as many loops as groups of connections by default, so that verticles
   * deployed with --deploy run on loops that serve connections (with one group, the default, on
   * the very thread that reads the frames). Fewer loops than --instances would put two groups on
   * one thread.
   */
  int eventLoops() {
    int n = eventLoops == null ? instances : eventLoops;
    if (n < 1 || n < instances) {
      throw new ParameterException(spec.commandLine(), "--event-loops must be at least 1 and at least --instances ("
          + instances + "), got " + n);
    }
    return n;
  }

  /**
   * systemd socket activation: when LISTEN_PID names this process, serve the socket passed
   * instead of binding. Its path is the one served; a --path naming another is an error.
   */
  private void activation(ServerOptions options) {
    boolean pathGiven = spec.commandLine().getParseResult().hasMatchedOption("--path");
    String asked = Path.of(options.getPath()).toAbsolutePath().normalize().toString();
    int fd = SocketActivation.listenFd(pathGiven ? asked : null);
    if (fd < 0) {
      return;
    }
    if (replace) {
      throw new ServerStartException("--replace does not apply to a socket passed by systemd (LISTEN_FDS):"
          + " restart the service instead; its socket keeps connections waiting meanwhile");
    }
    String bound = SocketActivation.boundPath(fd);
    if (bound != null && pathGiven && !Path.of(bound).toAbsolutePath().normalize().toString().equals(asked)) {
      throw new ServerStartException("socket activation: the socket passed (fd " + fd + ") is bound to " + bound
          + ", not to --path " + asked);
    }
    options.setInheritedFd(fd);
    if (bound != null) {
      options.setPath(bound);
    }
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
          .setIdleTimeoutSeconds(idleTimeoutSeconds)
          .setDrainTimeoutMs(ServerOptions.secondsToMs(drainTimeout))
          .setReplace(replace);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return options.setPath(path);
  }
}
