package dev.unixsocket.launcher;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import dev.unixsocket.client.ConnectionState;
import dev.unixsocket.client.InFlightOnLoss;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code uds client}: the console client. Each non-empty stdin line goes as one message through
 * the client verticle's send address; replies are printed on stdout, one line each, in order.
 */
@Command(name = "client",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
        "Reads lines from stdin and sends each non-empty line as one message through the client verticle;",
        "prints each reply on stdout, in order. Failures and connection changes go to stderr.",
        "A line 'q' or end of input ends it once outstanding replies have arrived or failed (bounded by --wait)."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every message got its reply",
        "1:some message failed or is still unanswered at the end, or the path cannot name a socket",
        "2:bad usage"})
final class ClientCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--path", paramLabel = "PATH",
      description = "Server socket path (default: $XDG_RUNTIME_DIR/unixsocket.sock if set, else /tmp/unixsocket.sock).")
  String path = ClientOptions.DEFAULT_PATH;

  @Option(names = "--framing", paramLabel = "length|line", description = "Frame format (default: ${DEFAULT-VALUE}).",
      defaultValue = "length")
  String framing;

  @Option(names = "--max-frame", paramLabel = "BYTES",
      description = "Largest payload sent or accepted; a longer line fails at once (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ClientOptions.DEFAULT_MAX_FRAME)
  int maxFrame;

  @Option(names = "--reconnect-initial", paramLabel = "MS", description = "First reconnect delay (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ClientOptions.DEFAULT_RECONNECT_INITIAL_DELAY_MS)
  long reconnectInitialMs;

  @Option(names = "--reconnect-max", paramLabel = "MS", description = "Longest reconnect delay (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ClientOptions.DEFAULT_RECONNECT_MAX_DELAY_MS)
  long reconnectMaxMs;

  @Option(names = "--queue", paramLabel = "N", description = "Messages held while disconnected (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ClientOptions.DEFAULT_QUEUE_CAPACITY)
  int queue;

  @Option(names = "--hello", paramLabel = "TEXT", description = "Message sent on every (re)connect; its reply goes to stderr.")
  String hello;

  @Option(names = "--resend", description = "Resend messages in flight when the connection drops (at least once) instead of failing them.")
  boolean resend;

  @Option(names = "--wait", paramLabel = "SECONDS",
      description = "At the end, wait this long for outstanding replies (default: ${DEFAULT-VALUE}).", defaultValue = "30")
  long waitSeconds;

  @Option(names = "--transport", paramLabel = "auto|epoll|io_uring|nio", description = "Netty transport (default: ${DEFAULT-VALUE}).",
      defaultValue = "auto")
  String transport;

  @Option(names = "--address-prefix", paramLabel = "PREFIX",
      description = {"Event-bus addresses PREFIX.send, PREFIX.inbound and PREFIX.status (default: uds.client).",
          "With --cluster, give each client its own, e.g. uds.client.hostA: clients sharing one would take turns."})
  String addressPrefix;

  @Mixin
  MetricsOption metrics;

  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() throws IOException {
    ClientOptions options = options();
    TransportChoice chosen = transport();
    // The console prints each state change itself, as one line: the verticle's own log lines would repeat it.
    Logging.quiet("dev.unixsocket.client.ClientVerticle");
    PrintStream err = System.err;
    String name = spec.qualifiedName();
    // The client's last status; the console stops Vert.x only once it has shown it (see VerticleRun.stop).
    Promise<Void> stoppedShown = Promise.promise();
    VerticleRun run = VerticleRun.deploy(ClientVerticle.class.getName(), options.toJson(),
        chosen.resolve(), metrics.endpoint(), cluster.settings(), 0,
        vertx -> {
          // Registered before the client starts, so its first state change is shown too. Local:
          // on a cluster, another node's client on the same addresses is not this console's.
          vertx.eventBus().<JsonObject>localConsumer(options.getStatusAddress(), m -> {
            err.println(name + ": " + describeStatus(m.body()));
            if (ConnectionState.STOPPED.name().equals(m.body().getString("state"))) {
              stoppedShown.tryComplete();
            }
          });
          vertx.eventBus().localConsumer(options.getInboundAddress(), m -> err.println(name + ": (" + m.headers().get(ClientVerticle.ORIGIN_HEADER)
              + ") " + m.body()));
        },
        ctx -> { });
    ConsoleSession session = new ConsoleSession(run.vertx(), options.getSendAddress(), System.out, err, name);
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("q")) {
          break;
        }
        if (!line.isEmpty()) {
          session.send(line);
        }
      }
    }
    boolean allReplied = session.awaitOutstanding(waitSeconds, TimeUnit.SECONDS);
    run.stop(stoppedShown.future());
    session.printSummary();
    return allReplied ? 0 : 1;
  }

  private static String describeStatus(JsonObject s) {
    String state = s.getString("state");
    StringBuilder sb = new StringBuilder(state).append(' ').append(s.getString("path", ""));
    String reason = s.getString("reason");
    if (reason != null && !reason.isEmpty()) {
      sb.append(" (").append(reason).append(')');
    }
    Long next = s.getLong("nextRetryMs");
    if ("DISCONNECTED".equals(state) && next != null && next >= 0) {
      sb.append("; retry in ").append(next).append(" ms");
    }
    return sb.toString();
  }

  /**
   * The options from the command line. A value a setter refuses is bad usage (exit 2), except the
   * path: one the kernel cannot connect to (over 107 bytes) fails as a server that is not there
   * would (exit 1), as {@code uds server} does for a path it cannot serve.
   */
  ClientOptions options() {
    ClientOptions options;
    try {
      options = new ClientOptions()
          .setFraming(Framing.of(framing))
          .setMaxFrame(maxFrame)
          .setReconnectInitialDelayMs(reconnectInitialMs)
          .setReconnectMaxDelayMs(reconnectMaxMs)
          .setQueueCapacity(queue)
          .setHello(hello)
          .setInFlightOnLoss(resend ? InFlightOnLoss.RESEND : InFlightOnLoss.FAIL);
      // The client verticle checks this pair only when it starts, which would make it exit 1.
      if (reconnectMaxMs < reconnectInitialMs) {
        throw new IllegalArgumentException("--reconnect-max (" + reconnectMaxMs + " ms) must be at least --reconnect-initial ("
            + reconnectInitialMs + " ms)");
      }
      if (waitSeconds < 0) {
        throw new IllegalArgumentException("--wait must be 0 seconds or more, was " + waitSeconds);
      }
      if (addressPrefix != null) {
        options.setSendAddress(addressPrefix + ".send")
            .setInboundAddress(addressPrefix + ".inbound")
            .setStatusAddress(addressPrefix + ".status");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return options.setPath(path);
  }

  /** The transport asked for; an unknown name is bad usage (exit 2), as the server's is. */
  TransportChoice transport() {
    try {
      return TransportChoice.of(transport);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
