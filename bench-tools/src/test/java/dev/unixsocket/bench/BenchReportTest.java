package dev.unixsocket.bench;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BenchReportTest {

  private static JsonObject result(long msgs, double p99, long errors) {
    return new JsonObject().put("messagesPerSecond", msgs).put("mbPerSecond", msgs * 64 / 1e6).put("p50Us", 50.0)
        .put("p99Us", p99).put("p999Us", 2 * p99).put("errors", errors);
  }

  @Test
  void tablesCarryRatiosToTheCBaselineAndSkippedServers() {
    BenchReport r = new BenchReport();
    r.add(new JsonObject().put("type", "machine").put("date", "2026-01-01 00:00 UTC").put("nproc", 2)
        .put("cpu", "Test CPU").put("kernel", "Linux 6").put("java", "openjdk 17").put("duration", 5).put("warmup", 2));
    r.add(new JsonObject().put("type", "server").put("server", "c").put("label", "C epoll (baseline)")
        .put("command", "bench/baseline/echo_c PATH").put("startupMs", 3));
    r.add(new JsonObject().put("type", "server").put("server", "netty").put("label", "raw Netty epoll")
        .put("command", "java ...").put("startupMs", 400));
    r.add(new JsonObject().put("type", "server").put("server", "uds-nio").put("label", "uds server, NIO")
        .put("command", "java -jar uds.jar server").put("skipped", "no uds.jar"));
    r.add(new JsonObject().put("type", "workload").put("id", "w1").put("title", "64 B × 1 × 128")
        .put("args", "--pipeline 128"));
    r.add(new JsonObject().put("type", "workload").put("id", "w4").put("title", "Ping-pong")
        .put("args", "--mode pingpong"));
    r.add(new JsonObject().put("type", "result").put("server", "c").put("workload", "w1")
        .put("result", result(1_000_000, 200, 0)));
    r.add(new JsonObject().put("type", "result").put("server", "netty").put("workload", "w1")
        .put("result", result(700_000, 250, 0)));
    r.add(new JsonObject().put("type", "result").put("server", "netty").put("workload", "w1")
        .put("result", result(900_000, 250, 0))); // the best of the two runs is shown
    r.add(new JsonObject().put("type", "result").put("server", "netty").put("workload", "w1")
        .put("result", result(990_000, 250, 3))); // faster, but with errors: never the best
    r.add(new JsonObject().put("type", "result").put("server", "c").put("workload", "w4")
        .put("result", result(30_000, 80, 0)));
    r.add(new JsonObject().put("type", "result").put("server", "netty").put("workload", "w4")
        .put("error", "cannot connect | x"));
    r.add(new JsonObject().put("type", "idle").put("server", "netty").put("connections", 1000)
        .put("heapBeforeBytes", 1_000_000).put("heapAfterBytes", 2_500_000)
        .put("result", new JsonObject().put("opened", 1000).put("open", 1000).put("rssPerConnectionBytes", 3000)
            .put("errors", 0)));

    r.add(new JsonObject().put("type", "server").put("server", "uds-epoll").put("label", "uds server, epoll")
        .put("command", "java -jar uds.jar server").put("startupMs", 900));
    r.add(new JsonObject().put("type", "ebworkload").put("id", "e1").put("title", "request, 128 in flight")
        .put("args", "--event-bus=request --pipeline 128"));
    r.add(new JsonObject().put("type", "ebresult").put("server", "in-jvm").put("workload", "e1")
        .put("result", result(300_000, 900, 0).put("cpuUsPerMessage", 3.5)));
    r.add(new JsonObject().put("type", "ebresult").put("server", "uds-epoll").put("workload", "e1")
        .put("error", "cannot connect"));

    String md = r.markdown("Some *notes*.");

    assertThat(md).contains("| CPU model | Test CPU |", "| CPUs (nproc) | 2 |")
        .contains("| C epoll (baseline) | 1,000,000 | 64.0 | 50.0 | 200 | 400 | 0 | 1.00× |")
        .contains("| raw Netty epoll | 900,000 | 57.6 | 50.0 | 250 | 500 | 0 | 0.90× |")
        .contains("| C epoll (baseline) | 30,000 | 1.9 | 50.0 | 80.0 | 160 | 0 | 1.00× | 1.00× |")
        .contains("| raw Netty epoll | cannot connect \\| x |")
        .contains("skipped: no uds.jar")
        .doesNotContain("| uds server, NIO | –")
        .contains("| raw Netty epoll | 1,000 | 1,000 | 3,000 B | 1,500 B | 0 |")
        .contains("## Event bus end to end", "**msg/s counts socket frames**")
        .contains("| request, 128 in flight | one JVM | 300,000 | 50.0 | 900 | 3.50 | 0 |")
        .contains("| request, 128 in flight | two processes (uds server, epoll) | cannot connect |")
        .contains("`uds bench --event-bus=request --pipeline 128` (two processes: `--external-server --path PATH`)")
        .endsWith("Some *notes*.\n");
  }
}
