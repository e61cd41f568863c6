package dev.unixsocket.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the results that {@code bench/run} collects (one JSON object per line) into the markdown
 * of {@code BENCHMARKS.md}: the machine, the servers, one table per workload with the ratio to the
 * C baseline, and the idle-memory tables. Kept in Java so that the script needs no JSON tool.
 *
 * <p>Lines: {@code {"type":"machine",...}}, {@code {"type":"server","server":ID,"label":..,
 * "command":..,"startupMs":..}} or {@code ..."skipped":why}, {@code {"type":"workload","id":..,
 * "title":..,"args":..}}, {@code {"type":"result","server":ID,"workload":ID,"result":{bench --json}}}
 * or {@code ..."error":why}, {@code {"type":"idle","server":ID,"connections":N,"result":{..},
 * "heapBeforeBytes":..,"heapAfterBytes":..}}, {@code {"type":"ebworkload","id":..,"title":..,"args":..}}
 * and {@code {"type":"ebresult","server":"in-jvm"|ID,"workload":ID,"result":{bench --event-bus --json}}}
 * (the event bus end to end, with the server in the bench's JVM or in its own process).
 *
 * <p>Usage: {@code BenchReport RESULTS.jsonl OUT.md [NOTES.md]}; the notes file, when it exists, is
 * copied in as the analysis section (hand-written, so it survives re-runs).
 */
public final class BenchReport {

  /** Server id of the baseline every ratio is taken against. */
  static final String BASELINE = "c";

  private final JsonObject machine = new JsonObject();
  private final Map<String, JsonObject> servers = new LinkedHashMap<>();
  private final Map<String, JsonObject> workloads = new LinkedHashMap<>();
  /** Every run of a server/workload pair (bench/run --repeat N runs each N times). */
  private final Map<String, List<JsonObject>> results = new LinkedHashMap<>();
  private final List<JsonObject> idle = new ArrayList<>();
  private final Map<String, JsonObject> ebWorkloads = new LinkedHashMap<>();
  /** Every event-bus run, by "server/workload" ("in-jvm/e1", "uds-epoll/e1"). */
  private final Map<String, List<JsonObject>> ebResults = new LinkedHashMap<>();

  public static void main(String[] args) throws IOException {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: BenchReport RESULTS.jsonl OUT.md [NOTES.md]");
      System.exit(2);
    }
    BenchReport report = new BenchReport();
    for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        report.add(new JsonObject(line));
      }
    }
    String notes = null;
    if (args.length == 3 && Files.exists(Path.of(args[2]))) {
      notes = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8);
    }
    Files.writeString(Path.of(args[1]), report.markdown(notes), StandardCharsets.UTF_8);
  }

  void add(JsonObject o) {
    switch (o.getString("type", "")) {
      case "machine" -> machine.mergeIn(o);
      case "server" -> servers.put(o.getString("server"), o);
      case "workload" -> workloads.put(o.getString("id"), o);
      case "result" -> results.computeIfAbsent(o.getString("server") + "/" + o.getString("workload"),
          k -> new ArrayList<>()).add(o);
      case "idle" -> idle.add(o);
      case "ebworkload" -> ebWorkloads.put(o.getString("id"), o);
      case "ebresult" -> ebResults.computeIfAbsent(o.getString("server") + "/" + o.getString("workload"),
          k -> new ArrayList<>()).add(o);
      default -> { }
    }
  }

  String markdown(String notes) {
    StringBuilder md = new StringBuilder();
    md.append("# Benchmarks\n\n");
    md.append("Written by `bench/run` on ").append(machine.getString("date", "?"))
        .append(": do not edit the tables by hand, run it again. Analysis and the reasons behind the figures: ")
        .append("see *Notes* at the end (kept in `bench/NOTES.md`).\n\n");

    md.append("## Machine and run\n\n");
    md.append("| | |\n| --- | --- |\n");
    row(md, "command", code(machine.getString("command", "bench/run")));
    row(md, "date", machine.getString("date", "?"));
    row(md, "commit", code(machine.getString("commit", "?")));
    row(md, "CPUs (nproc)", val("nproc"));
    row(md, "CPU model", machine.getString("cpu", "?"));
    row(md, "kernel", machine.getString("kernel", "?"));
    row(md, "java -version", machine.getString("java", "?"));
    row(md, "gcc", machine.getString("gcc", "?"));
    row(md, "load average at start / end", machine.getString("loadStart", "?") + " / " + machine.getString("loadEnd", "?"));
    String repeat = val("repeat");
    row(md, "each workload", val("warmup") + " s warm-up, then " + val("duration") + " s measured"
        + ("?".equals(repeat) || "1".equals(repeat) ? "" : "; run " + repeat
            + " times, the best run shown (highest msg/s; lowest p99 for ping-pong)"));
    md.append('\n');
    md.append("Server and load generator share the machine's CPUs, as in production. The load generator is `uds bench` ")
        .append("(raw Netty epoll, in its own JVM): it verifies every reply byte against prefix + payload and records ")
        .append("each frame's round trip in an HdrHistogram. msg/s counts verified replies; MB/s is payload bytes ")
        .append("per second each way (1 MB = 10^6 B); latency is from queueing a frame to its reply's last byte. ")
        .append("**× C** is the ratio to the C epoll baseline measured in the same run: msg/s ÷ C's msg/s for ")
        .append("throughput (higher is better), p99 ÷ C's p99 for ping-pong (lower is better). Every server first ")
        .append("gets a short unmeasured load so that a JVM's JIT has compiled its hot path.\n\n");

    md.append("## Servers\n\n");
    md.append("| server | command | start to `listening on` |\n| --- | --- | ---: |\n");
    for (JsonObject s : servers.values()) {
      String start = s.containsKey("skipped") ? "skipped: " + s.getString("skipped")
          : s.getValue("startupMs") + " ms";
      md.append("| ").append(s.getString("label", s.getString("server"))).append(" | ")
          .append(code(s.getString("command", ""))).append(" | ").append(escape(start)).append(" |\n");
    }
    md.append('\n');

    for (JsonObject w : workloads.values()) {
      boolean pingpong = w.getString("args", "").contains("pingpong");
      md.append("## ").append(w.getString("title")).append("\n\n");
      md.append("`uds bench ").append(w.getString("args")).append("`\n\n");
      md.append("| server | msg/s | MB/s | p50 µs | p99 µs | p99.9 µs | errors | ")
          .append(pingpong ? "p99 × C | msg/s × C" : "× C").append(" |\n");
      md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ").append(pingpong ? "---: | ---:" : "---:")
          .append(" |\n");
      JsonObject base = resultOf(BASELINE, w.getString("id"), pingpong);
      for (JsonObject s : servers.values()) {
        if (s.containsKey("skipped")) {
          continue;
        }
        JsonObject entry = best(s.getString("server"), w.getString("id"), pingpong);
        md.append("| ").append(s.getString("label", s.getString("server"))).append(" | ");
        if (entry == null || entry.getJsonObject("result") == null) {
          String why = entry == null ? "not run" : entry.getString("error", "failed");
          md.append(escape(why)).append(" | | | | | | | ").append(pingpong ? "| " : "").append("|\n");
          continue;
        }
        JsonObject r = entry.getJsonObject("result");
        md.append(String.format(Locale.ROOT, "%,d | %.1f | %s | %s | %s | %d | ",
            r.getLong("messagesPerSecond", 0L), r.getDouble("mbPerSecond", 0.0), us(r, "p50Us"), us(r, "p99Us"),
            us(r, "p999Us"), r.getLong("errors", 0L)));
        if (pingpong) {
          md.append(ratio(r, base, "p99Us")).append(" | ").append(ratio(r, base, "messagesPerSecond"));
        } else {
          md.append(ratio(r, base, "messagesPerSecond"));
        }
        md.append(" |\n");
      }
      md.append('\n');
    }

    if (!ebWorkloads.isEmpty()) {
      eventBusTable(md);
    }

    if (!idle.isEmpty()) {
      md.append("## Idle connections: memory per connection\n\n");
      md.append("`uds bench --mode idle --connections N --server-pid PID` on a freshly started server, after a first ")
          .append("unrecorded round that opened and closed N connections (so that the figures measure holding ")
          .append("connections, not a JVM compiling its accept path or touching its young generation for the first ")
          .append("time): opens N connections, waits until the server holds them, reads the server's VmRSS from /proc ")
          .append("before and after. For the JVM servers the live heap is taken with `jcmd PID GC.class_histogram` (a full GC) ")
          .append("before and while the connections are held. The file-descriptor hard limit here is ")
          .append(val("fdLimit")).append(".\n\n");
      md.append("| server | connections | still open | RSS growth / conn | live heap growth / conn | errors |\n");
      md.append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
      for (JsonObject i : idle) {
        JsonObject s = servers.getOrDefault(i.getString("server"), new JsonObject());
        md.append("| ").append(s.getString("label", i.getString("server"))).append(" | ")
            .append(String.format(Locale.ROOT, "%,d", i.getInteger("connections"))).append(" | ");
        JsonObject r = i.getJsonObject("result");
        if (r == null) {
          md.append(escape(i.getString("error", "failed"))).append(" | | | |\n");
          continue;
        }
        md.append(String.format(Locale.ROOT, "%,d", r.getLong("open", 0L))).append(" | ")
            .append(r.containsKey("rssPerConnectionBytes")
                ? String.format(Locale.ROOT, "%,d B", r.getLong("rssPerConnectionBytes")) : "n/a")
            .append(" | ");
        Long before = i.getLong("heapBeforeBytes");
        Long after = i.getLong("heapAfterBytes");
        long opened = r.getLong("opened", 0L);
        md.append(before != null && after != null && opened > 0
            ? String.format(Locale.ROOT, "%,d B", Math.round((after - before) / (double) opened)) : "n/a");
        md.append(" | ").append(r.getLong("errors", 0L)).append(" |\n");
      }
      md.append('\n');
    }

    md.append("## Notes\n\n");
    if (notes == null || notes.isBlank()) {
      md.append("(none yet: write the analysis in `bench/NOTES.md`; `bench/run` copies it here.)\n");
    } else {
      md.append(notes.strip()).append('\n');
    }
    return md.toString();
  }

  /** Event bus → client verticle → socket → server → reply, one JVM and two processes side by side. */
  private void eventBusTable(StringBuilder md) {
    md.append("## Event bus end to end\n\n");
    md.append("`uds bench --event-bus`: a sender verticle keeps messages in flight through the client verticle's ")
        .append("send address; each is one socket frame each way, echoed by the server, and every reply is checked, in ")
        .append("order, against the payload sent. **msg/s counts socket frames**, also when many ride in one event-bus ")
        .append("message (batches). *One JVM*: server verticle, client verticle and sender in the bench's JVM. ")
        .append("*Two processes*: the sender and the client verticle in the bench's JVM, the server in its own ")
        .append("(`uds server`, epoll). CPU µs/msg is the bench JVM's CPU time (all threads) per reply: in one JVM it ")
        .append("includes the server, with two processes it does not.\n\n");
    md.append("| workload | server | msg/s | p50 µs | p99 µs | CPU µs/msg | errors |\n");
    md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    List<String> targets = new ArrayList<>();
    for (String key : ebResults.keySet()) {
      String server = key.substring(0, key.lastIndexOf('/'));
      if (!targets.contains(server)) {
        targets.add(server);
      }
    }
    for (JsonObject w : ebWorkloads.values()) {
      for (String server : targets) {
        JsonObject entry = bestOf(ebResults.get(server + "/" + w.getString("id")), false);
        String where = "in-jvm".equals(server) ? "one JVM"
            : "two processes (" + servers.getOrDefault(server, new JsonObject()).getString("label", server) + ")";
        md.append("| ").append(escape(w.getString("title"))).append(" | ").append(escape(where)).append(" | ");
        if (entry == null || entry.getJsonObject("result") == null) {
          md.append(escape(entry == null ? "not run" : entry.getString("error", "failed"))).append(" | | | | |\n");
          continue;
        }
        JsonObject r = entry.getJsonObject("result");
        Double cpu = r.getDouble("cpuUsPerMessage");
        md.append(String.format(Locale.ROOT, "%,d | %s | %s | %s | %d |\n", r.getLong("messagesPerSecond", 0L),
            us(r, "p50Us"), us(r, "p99Us"), cpu == null ? "n/a" : String.format(Locale.ROOT, "%.2f", cpu),
            r.getLong("errors", 0L)));
      }
    }
    md.append('\n');
    for (JsonObject w : ebWorkloads.values()) {
      md.append("- ").append(escape(w.getString("title"))).append(": `uds bench ").append(w.getString("args"))
          .append("` (two processes: `--external-server --path PATH`)\n");
    }
    md.append('\n');
  }

  private String val(String key) {
    Object v = machine.getValue(key);
    return v == null ? "?" : v.toString();
  }

  private JsonObject resultOf(String server, String workload, boolean pingpong) {
    JsonObject e = best(server, workload, pingpong);
    return e == null ? null : e.getJsonObject("result");
  }

  /**
   * The best of a pair's runs: error-free before failed, then the highest msg/s (the lowest p99
   * for ping-pong), since on a shared machine the best run is the one least disturbed.
   */
  private JsonObject best(String server, String workload, boolean pingpong) {
    return bestOf(results.get(server + "/" + workload), pingpong);
  }

  private static JsonObject bestOf(List<JsonObject> runs, boolean pingpong) {
    if (runs == null || runs.isEmpty()) {
      return null;
    }
    JsonObject best = null;
    for (JsonObject e : runs) {
      if (best == null || better(e, best, pingpong)) {
        best = e;
      }
    }
    return best;
  }

  private static boolean better(JsonObject a, JsonObject b, boolean pingpong) {
    JsonObject ra = a.getJsonObject("result");
    JsonObject rb = b.getJsonObject("result");
    if (ra == null || rb == null) {
      return rb == null && ra != null;
    }
    boolean okA = ra.getLong("errors", 0L) == 0;
    boolean okB = rb.getLong("errors", 0L) == 0;
    if (okA != okB) {
      return okA;
    }
    return pingpong ? ra.getDouble("p99Us", 0.0) < rb.getDouble("p99Us", 0.0)
        : ra.getLong("messagesPerSecond", 0L) > rb.getLong("messagesPerSecond", 0L);
  }

  private static String us(JsonObject r, String key) {
    double v = r.getDouble(key, 0.0);
    return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String ratio(JsonObject r, JsonObject base, String key) {
    if (base == null || base.getDouble(key, 0.0) == 0.0 || r.getLong("errors", 0L) > 0) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.2f×", r.getDouble(key, 0.0) / base.getDouble(key));
  }

  private static void row(StringBuilder md, String k, String v) {
    md.append("| ").append(k).append(" | ").append(v).append(" |\n");
  }

  private static String code(String s) {
    return s.isEmpty() ? "" : "`" + s.replace("`", "'") + "`";
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
