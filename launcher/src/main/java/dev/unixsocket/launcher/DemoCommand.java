package dev.unixsocket.launcher;

import dev.unixsocket.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code uds demo}: the main job in one command. A server process and a console-client process,
 * as in production; messages through the client's stdin; the server stopped with SIGTERM and
 * started again on the same path halfway, then (length framing) taken over by a third with
 * --replace; every reply matched; a step-by-step summary on stdout.
 * Both processes and the socket file are cleaned up whatever happens.
 */
@Command(name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
        "Shows the main job in one command: a server and a client process, a server restart, every reply.",
        "Sends messages through the client process, restarts the server process once in the middle, lets a new",
        "server take it over with --replace (length framing only), and checks that the client reconnected",
        "and that every message got its reply, in order, none failed. Prints what happened step",
        "by step on stdout; the processes' last log lines go to stderr on failure (all of them with --keep-logs)."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every message got its reply, in order, and the client reconnected",
        "1:something went wrong (the failing step is named)",
        "2:bad usage"})
final class DemoCommand implements Callable<Integer> {

  /** Longest wait for any one step (a JVM starting, a reply, a process stopping). */
  private static final long STEP_TIMEOUT_SECONDS = DemoChild.STEP_TIMEOUT_SECONDS;
  /** Short, so that a line-framed client (no control frames) is not held for the default 10 s. */
  private static final String DRAIN_TIMEOUT = "2";
  /** The client's status line for a connection made; DISCONNECTED must not match it. */
  private static final Pattern CONNECTED = Pattern.compile("^uds client: CONNECTED ");
  private static final Pattern DISCONNECTED = Pattern.compile("^uds client: DISCONNECTED ");

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", paramLabel = "N", description = "Messages to send, spread over the restart (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  int messages;

  @Option(names = "--path", paramLabel = "PATH",
      description = "Socket path; must not exist yet (default: /tmp/uds-demo-<pid>.sock).")
  String path;

  @Option(names = "--framing", paramLabel = "length|line", description = "Frame format both processes use (default: ${DEFAULT-VALUE}).",
      defaultValue = "length")
  String framing;

  @Option(names = "--keep-logs", description = "Write each process's stdout and stderr to files in a new directory and print where.")
  boolean keepLogs;

  private PrintWriter out;
  private long startNanos;
  private int step;
  /** Written by the main thread, read by the shutdown hook too. */
  private final List<DemoChild> children = new CopyOnWriteArrayList<>();

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    Path socket = socketPath();
    startNanos = System.nanoTime();
    out.println("uds demo: " + (messages == 1 ? "1 message" : messages + " messages") + " through a client process to a server process on " + socket);
    out.flush();
    Result result = null;
    // Ctrl-C on the demo must not leave a server running on the socket.
    Thread onInterrupt = new Thread(() -> cleanUp(socket), "uds-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    try {
      result = run(socket);
    } catch (DemoFailure e) {
      out.println();
      out.println("FAILED: " + e.getMessage());
      printLogTails();
    } finally {
      cleanUp(socket);
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs, and finds nothing left to do
      }
    }
    if (keepLogs) {
      out.println("logs: " + writeLogs());
    }
    if (result != null) {
      out.println();
      out.println("OK: " + result.replied + "/" + messages + " messages answered in order; server restarted once"
          + (result.takenOver ? " and taken over once" : "") + "; client reconnected "
          + result.reconnects + " time(s); " + seconds(System.nanoTime() - startNanos) + " in all");
    }
    out.flush();
    return result == null ? 1 : 0;
  }

  /** The path to use: checked here, since the demo deletes it at the end and must own it. */
  private Path socketPath() {
    String p = path != null ? path : "/tmp/uds-demo-" + ProcessHandle.current().pid() + ".sock";
    if (messages < 1 || messages > 10_000) {
      throw new ParameterException(spec.commandLine(), "--messages must be between 1 and 10000, not " + messages);
    }
    try {
      new ServerOptions().setPath(p);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (!List.of("length", "line").contains(framing.toLowerCase(Locale.ROOT))) {
      throw new ParameterException(spec.commandLine(), "unknown framing '" + framing + "': use length or line");
    }
    Path socket = Path.of(p).toAbsolutePath().normalize();
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      // Not ours: maybe a running server. The demo removes its socket at the end, so it will not borrow one.
      throw new IllegalStateException(socket + " already exists; the demo needs a fresh path: remove it or choose another --path");
    }
    return socket;
  }

  private Result run(Path socket) throws IOException, InterruptedException {
    int before = (messages + 1) / 2;
    int whileDown = (messages - before) / 2;
    // --replace asks the old server with a control frame, which line framing has not: uds server
    // refuses --replace with line framing.
    boolean takeover = !framing.equalsIgnoreCase("line");
    int after = takeover ? (messages - before - whileDown + 1) / 2 : messages - before - whileDown;
    int duringTakeover = messages - before - whileDown - after;
    String sock = socket.toString();

    // Both JVMs start at once: the client retries until the server is up, as it would in production.
    DemoChild server = start("server-1", "server", "--path", sock, "--framing", framing, "--drain-timeout", DRAIN_TIMEOUT);
    DemoChild client = start("client", "client", "--path", sock, "--framing", framing,
        "--reconnect-initial", "100", "--reconnect-max", "1000", "--wait", "" + STEP_TIMEOUT_SECONDS);
    awaitReady(server, 1);
    String connected = client.awaitErr(CONNECTED.asPredicate(), "the client to connect");
    step("client started (pid " + client.pid() + "): " + status(connected));

    int next = 1;
    next = sendAndCheck(client, next, before);
    step("sent " + messagesRange(1, before) + ": " + replies(before) + ", each matching its message");

    server.process.destroy(); // SIGTERM: the server removes its socket, drains, exits 0
    int code = server.waitFor("the server to stop after SIGTERM");
    if (code != 0) {
      throw new DemoFailure("the server exited with status " + code + " after SIGTERM, not 0");
    }
    String lost = client.awaitErr(DISCONNECTED.asPredicate(), "the client to notice the server is gone");
    step("server stopped with SIGTERM (exit 0); the client saw: " + status(lost));

    if (whileDown > 0) {
      for (int i = next; i < next + whileDown; i++) {
        client.typeLine(message(i));
      }
      step("sent " + messagesRange(next, whileDown) + " while no server was listening: held in the client's queue");
    }

    DemoChild second = startServer(sock, 2);
    String reconnected = client.awaitErr(CONNECTED.asPredicate(), "the client to reconnect");
    step("client reconnected: " + status(reconnected));
    if (whileDown > 0) {
      next = checkReplies(client, next, whileDown);
      step("the queued " + messagesRange(next - whileDown, whileDown) + " went out after the reconnect: " + replies(whileDown) + ", in order");
    }
    if (after > 0) {
      next = sendAndCheck(client, next, after);
      step("sent " + messagesRange(next - after, after) + ": " + replies(after));
    }

    if (!takeover) {
      step("no takeover with --replace: it needs length framing (line framing has no control frames)");
    }
    DemoChild last = takeover ? takeOver(client, second, sock, next, duringTakeover) : second;
    next += duringTakeover;

    client.typeLine("q");
    int clientCode = client.waitFor("the client to end");
    String summary = client.awaitErr(l -> l.contains(" sent, "), "the client's summary");
    if (clientCode != 0) {
      throw new DemoFailure("the client exited with status " + clientCode + " (" + summary + ")");
    }
    if (!summary.endsWith(messages + " sent, " + messages + " replied, 0 failed")) {
      throw new DemoFailure("the client's count does not add up: " + summary);
    }
    step("client ended (exit 0) and counted: " + summary.substring(summary.indexOf(": ") + 2));

    last.process.destroy();
    int lastCode = last.waitFor("the last server to stop");
    if (lastCode != 0) {
      throw new DemoFailure("the last server exited with status " + lastCode + " after SIGTERM, not 0");
    }
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      throw new DemoFailure("the server stopped but left its socket file " + socket);
    }
    step("server stopped (exit 0) and removed " + socket);
    return new Result(next - 1, client.errLines(CONNECTED.asPredicate()) - 1, takeover);
  }

  /**
   * A third server starts with --replace while {@code count} messages from {@code first} are
   * typed; the second drains and exits by itself. Returns the third.
   */
  private DemoChild takeOver(DemoChild client, DemoChild second, String sock, int first, int count)
      throws IOException, InterruptedException {
    DemoChild third = awaitReady(start("server-3", "server", "--path", sock, "--framing", framing, "--drain-timeout",
        DRAIN_TIMEOUT, "--replace"), 3);
    for (int i = first; i < first + count; i++) {
      client.typeLine(message(i));
    }
    int drainedCode = second.waitFor("the replaced server to drain and exit");
    if (drainedCode != 0) {
      throw new DemoFailure("the replaced server exited with status " + drainedCode + ", not 0");
    }
    step("the replaced server (pid " + second.pid() + ") drained its connections and exited (exit 0)");
    if (count > 0) {
      checkReplies(client, first, count);
      step("sent " + messagesRange(first, count) + " during the takeover: " + replies(count) + ", in order, none failed");
    }
    return third;
  }

  private DemoChild startServer(String sock, int number) throws IOException, InterruptedException {
    return awaitReady(start("server-" + number, "server", "--path", sock, "--framing", framing, "--drain-timeout",
        DRAIN_TIMEOUT), number);
  }

  private DemoChild awaitReady(DemoChild server, int number) throws InterruptedException {
    String ready = server.nextOut("the server to print 'listening on'");
    if (!ready.startsWith("listening on ")) {
      throw new DemoFailure("the server printed '" + ready + "' instead of 'listening on ...'");
    }
    String what = number == 1 ? "server started" : number == 2 ? "server started again on the same path"
        : "a new server took the path over with --replace";
    step(what + " (pid " + server.pid() + "): " + ready);
    return server;
  }

  /** Types {@code count} messages, then reads their replies. */
  private int sendAndCheck(DemoChild client, int first, int count) throws IOException, InterruptedException {
    for (int i = first; i < first + count; i++) {
      client.typeLine(message(i));
    }
    return checkReplies(client, first, count);
  }

  /** Reads {@code count} reply lines and checks each against the message it answers, in order. */
  private int checkReplies(DemoChild client, int first, int count) throws InterruptedException {
    for (int i = first; i < first + count; i++) {
      String reply = client.nextOut("the reply to message " + i);
      String expected = ServerOptions.DEFAULT_ECHO_PREFIX + message(i);
      if (!reply.equals(expected)) {
        throw new DemoFailure("message " + i + " got the reply '" + reply + "', expected '" + expected + "'");
      }
    }
    return first + count;
  }

  private String message(int i) {
    return "message " + i + " of " + messages;
  }

  private static String messagesRange(int first, int count) {
    return count == 1 ? "message " + first : "messages " + first + "-" + (first + count - 1);
  }

  private static String replies(int n) {
    return n == 1 ? "1 reply" : n + " replies";
  }

  /** "uds client: CONNECTED /tmp/x.sock (connected)" without the prefix. */
  private static String status(String line) {
    return line.substring("uds client: ".length());
  }

  private void step(String what) {
    out.printf("%3d. %-6s %s%n", ++step, seconds(System.nanoTime() - startNanos), what);
    out.flush();
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
  }

  // ---- the child processes -------------------------------------------------------------------

  /** Starts {@code uds ARGS} as a child process: this JVM's java and class path, this jar's Main. */
  private DemoChild start(String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaCommand());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    Collections.addAll(cmd, args);
    DemoChild child = new DemoChild(name, new ProcessBuilder(cmd).start());
    children.add(child);
    return child;
  }

  private static String javaCommand() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** Kills what still runs and removes the socket file: the path did not exist when we began. */
  private synchronized void cleanUp(Path socket) {
    for (DemoChild c : children) {
      if (c.process.isAlive()) {
        c.process.destroyForcibly();
        try {
          c.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      spec.commandLine().getErr().println("uds demo: could not remove " + socket + ": " + e.getMessage());
    }
  }

  private void printLogTails() {
    PrintWriter err = spec.commandLine().getErr();
    for (DemoChild c : children) {
      List<String> log = c.log();
      err.println("--- " + c.name + " (pid " + c.pid() + "), last lines:");
      log.subList(Math.max(0, log.size() - 20), log.size()).forEach(err::println);
    }
    err.flush();
  }

  private Path writeLogs() throws IOException {
    Path dir = Files.createTempDirectory("uds-demo-");
    for (DemoChild c : children) {
      Files.write(dir.resolve(c.name + ".log"), c.log(), StandardCharsets.UTF_8);
    }
    return dir;
  }

  private static final class Result {
    final int replied;
    final int reconnects;
    final boolean takenOver;

    Result(int replied, int reconnects, boolean takenOver) {
      this.replied = replied;
      this.reconnects = reconnects;
      this.takenOver = takenOver;
    }
  }
}
