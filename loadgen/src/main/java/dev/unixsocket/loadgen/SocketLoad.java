package dev.unixsocket.loadgen;

import dev.unixsocket.loadgen.BenchCommand.Mode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.unixsocket.loadgen.Figures.micros;
import static dev.unixsocket.loadgen.Figures.nanos;
import static dev.unixsocket.loadgen.Figures.round;

/**
 * The echo and pingpong modes: N connections keeping K frames in flight through a warm-up, a
 * measured window and a drain, then the figures of the measured window.
 */
final class SocketLoad {

  private static final long DRAIN_TIMEOUT_MS = 5000;

  private final LoadSettings s;
  private final PrintWriter err;

  SocketLoad(LoadSettings settings, PrintWriter err) {
    this.s = settings;
    this.err = err;
  }

  JsonObject run() throws InterruptedException {
    int k = s.mode() == Mode.pingpong ? 1 : s.pipeline();
    byte[] prefix = s.expectPrefix().getBytes(StandardCharsets.UTF_8);
    Payloads payloads = new Payloads(s.size());
    LoadRun run = new LoadRun(s.connections());
    EventLoopGroup group = Connector.newGroup(s.threads() != null ? s.threads()
        : Math.min(s.connections(), Runtime.getRuntime().availableProcessors()));
    try {
      List<Channel> channels = new Connector(s.path()).connectAll(group, s.connections(),
          i -> new LoadConnection(i, s.framing(), prefix, payloads, k, run), false).channels;

      long t0 = System.nanoTime();
      long warmupEnd = t0 + nanos(s.warmup());
      long measureEnd = warmupEnd + nanos(s.duration());
      Progress progress = new Progress(run, t0);
      if (s.warmup() == 0) {
        run.phase = LoadRun.MEASURE;
      }
      long measureStart = s.warmup() == 0 ? t0 : 0;
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
      drain(channels, run);
      Connector.shutdown(group);
      group = null;
      double secs = measureStart == 0 ? 0 : (measureStop - measureStart) / 1e9;
      return figures(run, k, secs);
    } finally {
      if (group != null) {
        Connector.shutdown(group);
      }
    }
  }

  /** Lets every connection wait for its replies in flight, then closes them; a reply still missing is an error. */
  private void drain(List<Channel> channels, LoadRun run) throws InterruptedException {
    for (int i = 0; i < channels.size(); i++) {
      Channel ch = channels.get(i);
      LoadConnection h = ch.pipeline().get(LoadConnection.class);
      if (h != null) {
        ch.eventLoop().execute(h::drainIfIdle);
      }
    }
    boolean drained = run.done.await(DRAIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    AtomicLong unanswered = new AtomicLong();
    Connector.closeAll(channels, (ch) -> {
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
  }

  /** The result: the event loops' figures added up, over {@code secs} of measuring. */
  private JsonObject figures(LoadRun run, int k, double secs) {
    Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    long measured = 0;
    long mismatches = 0;
    long verified = 0;
    for (LoopStats st : run.stats.values()) {
      latency.add(st.latency);
      measured += st.measured;
      mismatches += st.mismatches;
      verified += st.verified;
    }
    long errors = mismatches + run.otherErrors.get();
    String firstError = run.firstError();
    if (verified == 0 && errors == 0) {
      errors = 1; // a server that never answers is not a slow one
      firstError = "no reply arrived in the whole run";
    }
    JsonObject r = s.header(k);
    r.put("messages", measured)
        .put("seconds", round(secs, 3))
        .put("messagesPerSecond", secs > 0 ? Math.round(measured / secs) : 0)
        .put("mbPerSecond", secs > 0 ? round(measured * (double) s.size() / secs / 1e6, 2) : 0.0)
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
      for (LoopStats st : run.stats.values()) {
        mismatches += st.mismatches; // racy read: progress only
      }
      err.printf(Locale.ROOT, "bench: %4.0fs %-8s %,12.0f msg/s %10.1f MB/s  errors %d%n",
          (now - t0) / 1e9, run.phase == LoadRun.WARMUP ? "warm-up" : "", rate, rate * s.size() / 1e6,
          mismatches + run.otherErrors.get());
      err.flush();
    }
  }
}
