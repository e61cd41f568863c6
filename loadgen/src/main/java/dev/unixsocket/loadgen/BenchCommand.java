package dev.unixsocket.loadgen;

import dev.unixsocket.wire.DefaultPath;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.SocketPath;
import io.netty.channel.epoll.Epoll;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code uds bench}: a load generator against a running server, on raw Netty epoll so that the
 * load side costs as little as it can (one direct buffer per frame, K writes and one flush,
 * replies verified in place as they arrive). This class is the command line and its checks; the
 * runs are {@link SocketLoad} (echo, pingpong), {@link IdleLoad} and {@link EventBusLoad}, and
 * {@link ResultPrinter} prints what they return.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Load generator against a running server: N connections, K frames in flight on each, "
        + "every reply checked to be prefix + payload (payloads differ per frame), latency in an HdrHistogram. "
        + "Progress goes to stderr, figures to stdout. Exit 0 when every reply matched, 1 on any error.")
public final class BenchCommand implements Callable<Integer> {

  /** What the connections do. */
  public enum Mode {
    /** K frames in flight per connection: throughput. */
    echo,
    /** One frame in flight per connection: latency. */
    pingpong,
    /** Open N connections, send nothing, hold them: memory per connection. */
    idle
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--path", paramLabel = "PATH",
      description = "Socket path of the server (default: $XDG_RUNTIME_DIR/unixsocket.sock if set, else /tmp/unixsocket.sock).")
  String path = DefaultPath.get();

  @Option(names = "--event-bus", arity = "0..1", fallbackValue = "request", paramLabel = "request|send|batch",
      description = {"End to end through the event bus: a client verticle in this JVM, and a sender verticle that",
          "keeps --pipeline messages in flight on the client's send address, each one frame each way.",
          "request (the default): one event-bus request per message, the reply frame is its reply;",
          "send: one event-bus send per message, replies are consumed from the client's inbound address;",
          "batch: one event-bus request per --batch messages (a JsonArray, one frame per element).",
          "Messages are socket frames in every case; --pipeline counts frames in flight.",
          "A server verticle (echo handler) on --path runs in this JVM too, unless --external-server."})
  EventBusLoad.How eventBus;

  @Option(names = "--external-server",
      description = "With --event-bus: use the server already listening on --path (another process: the "
          + "two-process figure) instead of starting one in this JVM.")
  boolean externalServer;

  @Option(names = "--batch", defaultValue = "64", paramLabel = "N",
      description = "With --event-bus=batch: frames per event-bus message (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--event-loops", paramLabel = "N",
      description = "With --event-bus: Vert.x event-loop threads in this JVM (default: Vert.x's, twice the CPUs).")
  Integer eventLoops;

  @Option(names = "--mode", defaultValue = "echo", paramLabel = "MODE",
      description = "echo (K in flight), pingpong (1 in flight) or idle (default: ${DEFAULT-VALUE}).")
  Mode mode;

  @Option(names = "--connections", defaultValue = "1", paramLabel = "N",
      description = "Connections (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--pipeline", defaultValue = "1", paramLabel = "K",
      description = "Frames in flight per connection in echo mode (default: ${DEFAULT-VALUE}).")
  int pipeline;

  @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
      description = "Payload bytes per frame (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS",
      description = "Measured time, after the warm-up; in idle mode, how long to hold (default: ${DEFAULT-VALUE}).")
  double duration;

  @Option(names = "--warmup", defaultValue = "2", paramLabel = "SECONDS",
      description = "Load before measuring starts (default: ${DEFAULT-VALUE}).")
  double warmup;

  @Option(names = "--framing", defaultValue = "length", paramLabel = "length|line",
      converter = FramingConverter.class,
      description = "Framing the server uses (default: ${DEFAULT-VALUE}).")
  Framing framing;

  @Option(names = "--expect-prefix", defaultValue = "echo:", paramLabel = "TEXT",
      description = "Prefix the server puts before each echoed payload (default: ${DEFAULT-VALUE}).")
  String expectPrefix;

  @Option(names = "--server-pid", paramLabel = "PID",
      description = "The server's process id: idle mode reports its RSS growth per connection.")
  Long serverPid;

  @Option(names = "--threads", paramLabel = "N",
      description = "Event-loop threads of the load generator (default: min(connections, CPUs)).")
  Integer threads;

  @Option(names = "--json", description = "Print one JSON object with the figures on stdout.")
  boolean json;

  /** Standalone entry point: {@code java -cp bench-tools/target/bench-tools.jar dev.unixsocket.loadgen.BenchCommand ...}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchCommand()).execute(args));
  }

  @Override
  public Integer call() {
    validate();
    try {
      if (!Epoll.isAvailable()) {
        throw new BenchFailure("epoll transport not available: " + describe(Epoll.unavailabilityCause()));
      }
      LoadSettings settings = new LoadSettings(path, framing, mode, connections, pipeline, size, warmup, duration,
          expectPrefix, threads, serverPid);
      JsonObject result = eventBus != null
          ? EventBusLoad.run(new EventBusLoad.Settings(path, eventBus, pipeline, size, warmup, duration, eventLoops,
              externalServer, framing, expectPrefix, batch), err())
          : mode == Mode.idle ? new IdleLoad(settings, err()).run() : new SocketLoad(settings, err()).run();
      new ResultPrinter(settings, eventBus != null, json).print(result, spec.commandLine().getOut(), err());
      return result.getLong("errors") == 0 ? 0 : 1;
    } catch (BenchFailure e) {
      err().println("bench: " + e.getMessage());
      err().flush();
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err().println("bench: interrupted");
      err().flush();
      return 1;
    } catch (Exception e) {
      err().println("bench: " + describe(e));
      err().flush();
      return 1;
    }
  }

  private void validate() {
    CommandLine cl = spec.commandLine();
    if (connections < 1) {
      throw new ParameterException(cl, "--connections must be at least 1");
    }
    if (pipeline < 1) {
      throw new ParameterException(cl, "--pipeline must be at least 1");
    }
    if (size < 0) {
      throw new ParameterException(cl, "--size must be 0 or more");
    }
    if (!(duration > 0)) {
      throw new ParameterException(cl, "--duration must be more than 0 seconds");
    }
    if (!(warmup >= 0)) {
      throw new ParameterException(cl, "--warmup must be 0 seconds or more");
    }
    if (eventBus == null && (externalServer || eventLoops != null)) {
      throw new ParameterException(cl, "--external-server and --event-loops go with --event-bus");
    }
    if (batch < 1) {
      throw new ParameterException(cl, "--batch must be at least 1");
    }
    if (eventLoops != null && eventLoops < 1) {
      throw new ParameterException(cl, "--event-loops must be at least 1");
    }
    if (threads != null && threads < 1) {
      throw new ParameterException(cl, "--threads must be at least 1");
    }
    if (SocketPath.bytes(path) > SocketPath.MAX_BYTES) {
      throw new ParameterException(cl, "--path is longer than the kernel's limit of " + SocketPath.MAX_BYTES
          + " bytes for a socket path: " + path);
    }
    if (framing == Framing.LINE) {
      for (byte b : expectPrefix.getBytes(StandardCharsets.UTF_8)) {
        if (b == '\n') {
          throw new ParameterException(cl, "--expect-prefix cannot contain a newline with line framing");
        }
      }
    }
  }

  /** A short one-line description of an exception: its message without Netty's syscall noise. */
  public static String describe(Throwable cause) {
    if (cause == null) {
      return "unknown cause";
    }
    String m = cause.getMessage();
    if (m == null || m.isBlank()) {
      return cause.getClass().getSimpleName();
    }
    int at = m.indexOf("failed: ");
    if (m.startsWith("connect(..)") || m.startsWith("syscall:")) {
      m = at >= 0 ? m.substring(at + 8) : m;
    }
    int nl = m.indexOf('\n');
    return nl >= 0 ? m.substring(0, nl) : m;
  }

  private PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A failure that ends the run with one line on stderr and exit status 1. */
  static final class BenchFailure extends RuntimeException {
    BenchFailure(String message) {
      super(message, null, false, false);
    }
  }
}
