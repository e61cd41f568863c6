package dev.unixsocket.loadgen;

import dev.unixsocket.wire.DefaultPath;
import dev.unixsocket.wire.Framing;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * {@code uds bench}: a load generator against a running server, on raw Netty epoll so that the
 * load side costs as little as it can (one direct buffer per frame, K writes and one flush,
 * replies verified in place as they arrive).
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

  /** The kernel's limit on a socket path (sun_path is 108 bytes, NUL included). */
  static final int MAX_PATH_BYTES = 107;

  /** Connects in progress at once: enough to be quick, few enough not to overrun the backlog. */
  private static final int CONNECT_WINDOW = 128;
  private static final long CONNECT_RETRY_MS = 5;
  private static final int CONNECT_ATTEMPTS = 2000;
  private static final long DRAIN_TIMEOUT_MS = 5000;

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
      description = {"With --event-bus: use the server already listening on --path (another process: the",
          "two-process figure) instead of starting one in this JVM."})
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
      JsonObject result = eventBus != null
          ? EventBusLoad.run(new EventBusLoad.Settings(path, eventBus, pipeline, size, warmup, duration, eventLoops,
              externalServer, framing, expectPrefix, batch), err())
          : mode == Mode.idle ? runIdle() : runLoad();
      print(result);
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
    if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new ParameterException(cl, "--path is longer than the kernel's limit of " + MAX_PATH_BYTES
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

  // ---------------------------------------------------------------------------------------------
  // echo and pingpong

  private JsonObject runLoad() throws InterruptedException {
    int k = mode == Mode.pingpong ? 1 : pipeline;
    byte[] prefix = expectPrefix.getBytes(StandardCharsets.UTF_8);
    Payloads payloads = new Payloads(size);
    LoadRun run = new LoadRun(connections);
    EventLoopGroup group = newGroup(threads != null ? threads
        : Math.min(connections, Runtime.getRuntime().availableProcessors()));
    try {
      List<Channel> channels = connectAll(group, connections,
          i -> new LoadConnection(i, framing, prefix, payloads, k, run), false).channels;

      long t0 = System.nanoTime();
      long warmupEnd = t0 + seconds(warmup);
      long measureEnd = warmupEnd + seconds(duration);
      Progress progress = new Progress(run, t0);
      if (warmup == 0) {
        run.phase = LoadRun.MEASURE;
      }
      long measureStart = warmup == 0 ? t0 : 0;
      long nextTick = t0 + TimeUnit.SECONDS.toNanos(1);
      while (true) {
        long now = System.nanoTime();
        if (run.phase == LoadRun.WARMUP && now >= warmupEnd) {
          run.phase = LoadRun.MEASURE;
          measureStart = now;
        }
        if (now >= measureEnd) {
          break;
        }
        if (now >= nextTick) {
          progress.tick(now);
          nextTick += TimeUnit.SECONDS.toNanos(1);
        }
        long wake = Math.min(nextTick, run.phase == LoadRun.WARMUP ? warmupEnd : measureEnd);
        TimeUnit.NANOSECONDS.sleep(Math.max(0, wake - System.nanoTime()));
        if (run.done.getCount() == 0) {
          break; // every connection is gone: nothing left to measure
        }
      }
      run.phase = LoadRun.DRAIN;
      long measureStop = System.nanoTime();
      for (int i = 0; i < channels.size(); i++) {
        Channel ch = channels.get(i);
        LoadConnection h = ch.pipeline().get(LoadConnection.class);
        if (h != null) {
          ch.eventLoop().execute(h::drainIfIdle);
        }
      }
      boolean drained = run.done.await(DRAIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      AtomicLong unanswered = new AtomicLong();
      closeAll(channels, (ch) -> {
        LoadConnection h = ch.pipeline().get(LoadConnection.class);
        if (h != null) {
          unanswered.addAndGet(h.inFlight());
          h.closing();
        }
      });
      if (!drained && unanswered.get() > 0) {
        run.otherErrors.addAndGet(unanswered.get());
        run.error(unanswered.get() + " frames got no reply within " + DRAIN_TIMEOUT_MS + " ms after the run");
      }
      shutdown(group);
      group = null;

      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      long measured = 0;
      long mismatches = 0;
      long verified = 0;
      for (LoopStats s : run.stats.values()) {
        latency.add(s.latency);
        measured += s.measured;
        mismatches += s.mismatches;
        verified += s.verified;
      }
      double secs = measureStart == 0 ? 0 : (measureStop - measureStart) / 1e9;
      long errors = mismatches + run.otherErrors.get();
      String firstError = run.firstError();
      if (verified == 0 && errors == 0) {
        errors = 1; // a server that never answers is not a slow one
        firstError = "no reply arrived in the whole run";
      }
      JsonObject r = header(k);
      r.put("messages", measured)
          .put("seconds", round(secs, 3))
          .put("messagesPerSecond", secs > 0 ? Math.round(measured / secs) : 0)
          .put("mbPerSecond", secs > 0 ? round(measured * (double) size / secs / 1e6, 2) : 0.0)
          .put("p50Us", micros(latency, 50))
          .put("p99Us", micros(latency, 99))
          .put("p999Us", micros(latency, 99.9))
          .put("maxUs", latency.getTotalCount() == 0 ? 0.0 : round(latency.getMaxValue() / 1000.0, 1))
          .put("meanUs", latency.getTotalCount() == 0 ? 0.0 : round(latency.getMean() / 1000.0, 1))
          .put("repliesVerified", verified)
          .put("mismatches", mismatches)
          .put("errors", errors);
      if (firstError != null) {
        r.put("firstError", firstError);
      }
      return r;
    } finally {
      if (group != null) {
        shutdown(group);
      }
    }
  }

  private JsonObject header(int k) {
    JsonObject h = new JsonObject()
        .put("mode", mode.name())
        .put("path", path)
        .put("framing", framing.label())
        .put("connections", connections);
    if (mode != Mode.idle) {
      h.put("pipeline", k).put("size", size).put("warmupSeconds", warmup);
    }
    return h.put("durationSeconds", duration);
  }

  /** Prints replies per second once a second, on stderr. */
  private final class Progress {
    private final LoadRun run;
    private final long t0;
    private long lastAt;
    private long lastReplies;

    Progress(LoadRun run, long t0) {
      this.run = run;
      this.t0 = t0;
      this.lastAt = t0;
    }

    void tick(long now) {
      long replies = run.replies();
      double rate = (replies - lastReplies) / ((now - lastAt) / 1e9);
      lastAt = now;
      lastReplies = replies;
      long mismatches = 0;
      for (LoopStats s : run.stats.values()) {
        mismatches += s.mismatches; // racy read: progress only
      }
      err().printf(Locale.ROOT, "bench: %4.0fs %-8s %,12.0f msg/s %10.1f MB/s  errors %d%n",
          (now - t0) / 1e9, run.phase == LoadRun.WARMUP ? "warm-up" : "", rate, rate * size / 1e6,
          mismatches + run.otherErrors.get());
      err().flush();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // idle

  private JsonObject runIdle() throws InterruptedException {
    AtomicLong closedByServer = new AtomicLong();
    AtomicLong unexpected = new AtomicLong();
    Long rssBefore = null;
    Integer fdsBefore = null;
    if (serverPid != null) {
      rssBefore = rssKiB(serverPid);
      fdsBefore = countFds(serverPid);
    }
    EventLoopGroup group = newGroup(threads != null ? threads : Math.min(2, Runtime.getRuntime().availableProcessors()));
    try {
      long t0 = System.nanoTime();
      Connected c = connectAll(group, connections, i -> new IdleConnection(closedByServer, unexpected), true);
      double connectSecs = (System.nanoTime() - t0) / 1e9;
      int opened = c.channels.size();
      err().printf(Locale.ROOT, "bench: idle: %d of %d connections open in %.1f s%s%n", opened, connections,
          connectSecs, c.failed > 0 ? " (" + c.failed + " failed: " + c.firstFailure + ")" : "");
      err().flush();
      Long rssAfter = null;
      if (serverPid != null) {
        awaitAccepted(serverPid, fdsBefore, opened);
        rssAfter = rssKiB(serverPid);
        err().printf(Locale.ROOT, "bench: idle: server RSS %,d KiB -> %,d KiB%n", rssBefore, rssAfter);
        err().flush();
      }
      long holdEnd = System.nanoTime() + seconds(duration);
      long nextTick = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (System.nanoTime() < holdEnd) {
        TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(nextTick, holdEnd) - System.nanoTime()));
        if (System.nanoTime() >= nextTick && System.nanoTime() < holdEnd) {
          nextTick += TimeUnit.SECONDS.toNanos(1);
          err().printf(Locale.ROOT, "bench: %4.0fs idle     %d open%n", (System.nanoTime() - t0) / 1e9,
              opened - closedByServer.get());
          err().flush();
        }
      }
      long stillOpen = c.channels.stream().filter(Channel::isActive).count();
      closeAll(c.channels, ch -> {
        IdleConnection h = ch.pipeline().get(IdleConnection.class);
        if (h != null) {
          h.closing();
        }
      });
      long errors = c.failed + (opened - stillOpen) + unexpected.get();
      JsonObject r = header(0)
          .put("opened", opened)
          .put("failed", c.failed)
          .put("open", stillOpen)
          .put("connectSeconds", round(connectSecs, 2));
      if (rssBefore != null && rssAfter != null) {
        r.put("serverPid", serverPid)
            .put("rssBeforeKiB", rssBefore)
            .put("rssAfterKiB", rssAfter)
            .put("rssPerConnectionBytes", opened == 0 ? 0 : Math.round((rssAfter - rssBefore) * 1024.0 / opened));
      }
      r.put("errors", errors);
      String firstError = c.firstFailure;
      if (firstError == null && stillOpen < opened) {
        firstError = (opened - stillOpen) + " connections closed by the server while idle";
      }
      if (firstError == null && unexpected.get() > 0) {
        firstError = "the server sent data on " + unexpected.get() + " reads of idle connections";
      }
      if (firstError != null) {
        r.put("firstError", firstError);
      }
      return r;
    } finally {
      shutdown(group);
    }
  }

  /** Waits until the server holds {@code opened} more descriptors, or they stop changing for a second. */
  private static void awaitAccepted(long pid, Integer fdsBefore, int opened) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int last = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Integer fds = countFds(pid);
      if (fds == null || fdsBefore == null) {
        Thread.sleep(1000);
        return;
      }
      if (fds >= fdsBefore + opened) {
        break;
      }
      if (fds != last) {
        last = fds;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(1)) {
        break;
      }
      Thread.sleep(50);
    }
    Thread.sleep(500); // let the server finish setting the last ones up
  }

  static Long rssKiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
      throw new BenchFailure("no VmRSS in /proc/" + pid + "/status");
    } catch (NoSuchFileException e) {
      throw new BenchFailure("no process " + pid + " (--server-pid)");
    } catch (IOException e) {
      throw new BenchFailure("cannot read /proc/" + pid + "/status: " + e.getMessage());
    }
  }

  private static Integer countFds(long pid) {
    int n = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path ignored : fds) {
        n++;
      }
      return n;
    } catch (IOException e) {
      return null; // not ours to read: fall back to waiting
    }
  }

  // ---------------------------------------------------------------------------------------------
  // connections

  private static final class Connected {
    final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
    volatile int failed;
    volatile String firstFailure;
  }

  /**
   * Opens {@code n} connections, at most {@link #CONNECT_WINDOW} at a time, retrying those the
   * server's backlog turns away (EAGAIN). When {@code partialOk} is false any failure ends the run.
   */
  private Connected connectAll(EventLoopGroup group, int n, IntFunction<ChannelHandler> handlers, boolean partialOk)
      throws InterruptedException {
    DomainSocketAddress address = new DomainSocketAddress(path);
    Connected c = new Connected();
    Semaphore window = new Semaphore(CONNECT_WINDOW);
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      window.acquire();
      if (firstFailure.get() != null && (!partialOk || c.channels.isEmpty())) {
        window.release();
        break; // the server is not there: do not try the rest
      }
      int id = i;
      connect(group, address, () -> handlers.apply(id), 1, ch -> {
        c.channels.add(ch);
        window.release();
      }, cause -> {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, cause);
        window.release();
      });
    }
    if (!window.tryAcquire(CONNECT_WINDOW, 60, TimeUnit.SECONDS)) {
      throw new BenchFailure("connecting to " + path + " did not finish within 60 s");
    }
    c.failed = failed.get();
    Throwable cause = firstFailure.get();
    if (cause != null) {
      c.firstFailure = describeConnect(cause);
      if (!partialOk || c.channels.isEmpty()) {
        closeAll(c.channels, ch -> { });
        throw new BenchFailure("cannot connect to " + path + ": " + c.firstFailure);
      }
    }
    return c;
  }

  /** One connection; a new handler per attempt, since a failed attempt's channel keeps its handler. */
  private static void connect(EventLoopGroup group, DomainSocketAddress address, Supplier<ChannelHandler> handler,
      int attempt, java.util.function.Consumer<Channel> ok, java.util.function.Consumer<Throwable> failed) {
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(EpollDomainSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(handler.get());
    b.connect(address).addListener(f -> {
      if (f.isSuccess()) {
        ok.accept(((io.netty.channel.ChannelFuture) f).channel());
      } else if (isBacklogFull(f.cause()) && attempt < CONNECT_ATTEMPTS) {
        group.schedule(() -> connect(group, address, handler, attempt + 1, ok, failed),
            CONNECT_RETRY_MS, TimeUnit.MILLISECONDS);
      } else {
        failed.accept(f.cause());
      }
    });
  }

  private static boolean isBacklogFull(Throwable cause) {
    String m = cause.getMessage();
    return m != null && m.contains("Resource temporarily unavailable");
  }

  /** Closes the channels from their event loops, running {@code before} there first; waits a bounded time. */
  private static void closeAll(List<Channel> channels, java.util.function.Consumer<Channel> before)
      throws InterruptedException {
    List<Channel> copy;
    synchronized (channels) {
      copy = new ArrayList<>(channels);
    }
    java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(copy.size());
    for (Channel ch : copy) {
      ch.eventLoop().execute(() -> {
        before.accept(ch);
        ch.close().addListener(f -> closed.countDown());
      });
    }
    closed.await(10, TimeUnit.SECONDS);
  }

  private static EventLoopGroup newGroup(int threads) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench", true),
        EpollIoHandler.newFactory());
  }

  private static void shutdown(EventLoopGroup group) {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static String describeConnect(Throwable cause) {
    String m = describe(cause);
    if (cause instanceof java.io.FileNotFoundException || m.contains("No such file or directory")) {
      return "no such socket file (is the server running?)";
    }
    if (m.contains("Connection refused")) {
      return "connection refused (no server is listening there)";
    }
    if (m.contains("Permission denied")) {
      return "permission denied (socket file mode or --allow-uid)";
    }
    return m;
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

  // ---------------------------------------------------------------------------------------------
  // output

  private void print(JsonObject r) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(r.encode());
    } else if (mode == Mode.idle) {
      out.printf(Locale.ROOT, "idle %d connections held %.1f s: %d opened, %d still open, %d failed%n",
          connections, duration, r.getInteger("opened"), r.getLong("open"), r.getInteger("failed"));
      if (r.containsKey("rssPerConnectionBytes")) {
        out.printf(Locale.ROOT, "server RSS   %,d KiB -> %,d KiB: %,d bytes per connection%n",
            r.getLong("rssBeforeKiB"), r.getLong("rssAfterKiB"), r.getLong("rssPerConnectionBytes"));
      }
      out.printf(Locale.ROOT, "errors       %d%n", r.getLong("errors"));
    } else {
      out.printf(Locale.ROOT, "%s %d B x %d conn x %d in flight, %s framing, %.1f s measured after %.1f s warm-up%n",
          eventBus != null ? eventBusLabel(r) : mode, size, connections, r.getInteger("pipeline"), framing.label(), r.getDouble("seconds"), warmup);
      out.printf(Locale.ROOT, "messages/s   %,d%n", r.getLong("messagesPerSecond"));
      out.printf(Locale.ROOT, "MB/s         %.2f (payload bytes each way, 1 MB = 10^6 B)%n", r.getDouble("mbPerSecond"));
      out.printf(Locale.ROOT, "latency us   p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
          r.getDouble("p50Us"), r.getDouble("p99Us"), r.getDouble("p999Us"), r.getDouble("maxUs"));
      if (r.containsKey("cpuUsPerMessage")) {
        out.printf(Locale.ROOT, "CPU us/msg   %.2f (this JVM, all threads%s)%n", r.getDouble("cpuUsPerMessage"),
            "external".equals(r.getString("server")) ? "; the server's process not included" : ", the server included");
      }
      out.printf(Locale.ROOT, "errors       %d%n", r.getLong("errors"));
    }
    out.flush();
    if (r.getLong("errors") > 0 && r.getString("firstError") != null) {
      err().println("bench: " + r.getLong("errors") + " errors; first: " + r.getString("firstError"));
      err().flush();
    }
  }

  private static String eventBusLabel(JsonObject r) {
    String how = r.getString("eventBus");
    if ("batch".equals(how)) {
      how += " of " + r.getInteger("framesPerEventBusMessage");
    }
    return "event-bus " + how + " (" + ("external".equals(r.getString("server"))
        ? "server in another process" : "server in this JVM") + ", " + r.getInteger("eventLoops") + " event loops)";
  }

  private PrintWriter err() {
    return spec.commandLine().getErr();
  }

  private static double micros(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0.0 : round(h.getValueAtPercentile(percentile) / 1000.0, 1);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static long seconds(double s) {
    return (long) (s * 1e9);
  }

  /** A failure that ends the run with one line on stderr and exit status 1. */
  static final class BenchFailure extends RuntimeException {
    BenchFailure(String message) {
      super(message, null, false, false);
    }
  }
}
