package dev.unixsocket.loadgen;

import dev.unixsocket.loadgen.BenchCommand.Mode;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Prints a run's result: one JSON object, or a few lines of text, on stdout; and, when there were
 * errors, the first of them on stderr.
 */
final class ResultPrinter {

  private final LoadSettings s;
  private final boolean eventBus;
  private final boolean json;

  /**
   * @param eventBus the result is an event-bus run's, labelled by its own fields
   * @param json one JSON object rather than text
   */
  ResultPrinter(LoadSettings settings, boolean eventBus, boolean json) {
    this.s = settings;
    this.eventBus = eventBus;
    this.json = json;
  }

  void print(JsonObject r, PrintWriter out, PrintWriter err) {
    if (json) {
      out.println(r.encode());
    } else if (s.mode() == Mode.idle) {
      out.printf(Locale.ROOT, "idle %d connections held %.1f s: %d opened, %d still open, %d failed%n",
          s.connections(), s.duration(), r.getInteger("opened"), r.getLong("open"), r.getInteger("failed"));
      if (r.containsKey("rssPerConnectionBytes")) {
        out.printf(Locale.ROOT, "server RSS   %,d KiB -> %,d KiB: %,d bytes per connection%n",
            r.getLong("rssBeforeKiB"), r.getLong("rssAfterKiB"), r.getLong("rssPerConnectionBytes"));
      }
      out.printf(Locale.ROOT, "errors       %d%n", r.getLong("errors"));
    } else {
      out.printf(Locale.ROOT, "%s %d B x %d conn x %d in flight, %s framing, %.1f s measured after %.1f s warm-up%n",
          eventBus ? eventBusLabel(r) : s.mode(), s.size(), s.connections(), r.getInteger("pipeline"),
          s.framing().label(), r.getDouble("seconds"), s.warmup());
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
      err.println("bench: " + r.getLong("errors") + " errors; first: " + r.getString("firstError"));
      err.flush();
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
}
