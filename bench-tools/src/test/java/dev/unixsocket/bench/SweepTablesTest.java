package dev.unixsocket.bench;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bench/sweep's jq tables: the one a sweep writes (ratios rounded) and the comparison of several
 * sweeps that BENCHMARKS.md quotes (ratios cut, so that a cell shown below 0.8 is one counted there).
 */
@Timeout(30)
class SweepTablesTest {

  private static final Path BENCH = Path.of("..", "bench");

  /** One sweep's raw runs: for each cell {size, connections, in flight, ours frames/s, C frames/s}. */
  private static Path sweep(Path dir, String name, String date, long[]... cells) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(new JsonObject().put("type", "sweep").put("date", date).put("commit", "abc1234").put("nproc", 2)
        .put("loadStart", "1.0").put("repeat", 1).put("duration", 0.8).put("warmup", 0.2).encode());
    for (long[] c : cells) {
      lines.add(run("ours", c, c[3]));
      lines.add(run("c", c, c[4]));
    }
    lines.add(new JsonObject().put("type", "end").put("seconds", 1).put("loadEnd", "1.0").encode());
    Path file = dir.resolve(name);
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  /**
   * One 64 B x 4 x 4 cell over three rounds, {ours, C} frames/s a round; {@code spread}: the sweep
   * says its rounds were passes over all cells.
   */
  private static Path rounds(Path dir, String name, boolean spread, long[]... rates) throws IOException {
    JsonObject head = new JsonObject().put("type", "sweep").put("date", "2026-01-01 10:00 UTC").put("commit", "abc1234")
        .put("nproc", 2).put("loadStart", "1.0").put("repeat", rates.length).put("duration", 0.8).put("warmup", 0.2);
    if (spread) {
      head.put("rounds", "spread");
    }
    List<String> lines = new ArrayList<>();
    lines.add(head.encode());
    long[] cell = {64, 4, 4};
    for (int r = 0; r < rates.length; r++) {
      lines.add(run("ours", cell, rates[r][0], r + 1));
      lines.add(run("c", cell, rates[r][1], r + 1));
    }
    lines.add(new JsonObject().put("type", "end").put("seconds", 1).put("loadEnd", "1.0").encode());
    Path file = dir.resolve(name);
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  private static String run(String server, long[] cell, long rate) {
    return run(server, cell, rate, 1);
  }

  private static String run(String server, long[] cell, long rate, int round) {
    return new JsonObject().put("type", "run").put("server", server).put("size", cell[0]).put("connections", cell[1])
        .put("pipeline", cell[2]).put("round", round)
        .put("result", new JsonObject().put("msgs_per_s", rate).put("errors", 0).put("loader_cpu", 0.5)
            .put("loader_saturated", false).put("server_us_per_msg", 2.0))
        .encode();
  }

  private static String jq(String program, Path... inputs) throws Exception {
    List<String> command = new ArrayList<>(List.of("jq", "-rs", "-L", BENCH.toString(), "-f", BENCH.resolve(program).toString()));
    for (Path p : inputs) {
      command.add(p.toString());
    }
    Process jq;
    try {
      jq = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "no jq: " + e.getMessage());
      throw e;
    }
    String out = new String(jq.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(jq.waitFor()).as(out).isZero();
    return out;
  }

  @Test
  void comparisonCutsRatiosAndCountsEachRunAndTheLowest(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(BENCH.resolve("sweep-compare.jq")), "bench/ not found from " + Path.of("").toAbsolutePath());
    // 64 B x 4 x 4: 0.7996 then 0.70; 64 KiB x 4 x 4 (an issue row): 0.95 then 0.85.
    Path first = sweep(dir, "a.jsonl", "2026-01-01 10:00 UTC",
        new long[] {64, 4, 4, 79_960, 100_000}, new long[] {65536, 4, 4, 95_000, 100_000});
    Path second = sweep(dir, "b.jsonl", "2026-01-01 11:00 UTC",
        new long[] {64, 4, 4, 70_000, 100_000}, new long[] {65536, 4, 4, 85_000, 100_000});

    String out = jq("sweep-compare.jq", first, second);

    assertThat(out).contains("| frame | conn. × in flight | 10:00 UTC | 11:00 UTC | lowest |")
        .contains("| 64 B | 4 × 4 | 0.79 | 0.70 | **0.70** |")
        .contains("| 64 KiB ★ | 4 × 4 | 0.95 | 0.85 | **0.85** |")
        .contains("2026-01-01 10:00 UTC: 1 ≥ 0.9, 0 0.8–0.9, 1 < 0.8.")
        .contains("2026-01-01 11:00 UTC: 0 ≥ 0.9, 1 0.8–0.9, 1 < 0.8.")
        .contains("Lowest of the runs: 0 ≥ 0.9, 1 0.8–0.9, 1 < 0.8.")
        .contains("Below 0.8 in every run: 64 B × 4 × 4.");
  }

  @Test
  void spreadRoundsGiveTheMedianOfTheRoundsRatiosBackToBackOnesTheMedianOverTheMedian(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(BENCH.resolve("sweep-compare.jq")), "bench/ not found from " + Path.of("").toAbsolutePath());
    // Ratios by round 0.95, 0.80, 0.97: their median 0.95; the medians 200 k / 250 k = 0.80. A
    // round whose C run failed (0 frames/s) has no ratio; one where ours failed counts as 0.
    long[][] rates = {{95_000, 100_000}, {200_000, 250_000}, {300_000, 310_000}};
    Path spread = rounds(dir, "spread.jsonl", true, rates);
    Path backToBack = rounds(dir, "back.jsonl", false, rates);
    Path cFailed = rounds(dir, "cfailed.jsonl", true, new long[] {95_000, 100_000}, new long[] {200_000, 0},
        new long[] {300_000, 310_000});
    Path oursFailed = rounds(dir, "oursfailed.jsonl", true, new long[] {0, 100_000}, new long[] {200_000, 250_000},
        new long[] {300_000, 310_000});

    assertThat(jq("sweep-compare.jq", spread)).contains("| 64 B | 4 × 4 | 0.95 | **0.95** |");
    assertThat(jq("sweep-table.jq", spread)).contains("| 64 B | 4 × 4 | 200 k | 250 k | **0.95** | 0.8–0.97 |")
        .contains("median of the rounds' ratios");
    assertThat(jq("sweep-compare.jq", backToBack)).contains("| 64 B | 4 × 4 | 0.80 | **0.80** |");
    assertThat(jq("sweep-table.jq", backToBack)).contains("| 64 B | 4 × 4 | 200 k | 250 k | **0.8** |");
    // Two ratios left (0.95, 0.97): the lower middle one, as for the medians of an even count.
    assertThat(jq("sweep-compare.jq", cFailed)).contains("| 64 B | 4 × 4 | 0.95 | **0.95** |");
    assertThat(jq("sweep-table.jq", cFailed)).contains("| 64 B | 4 × 4 | 200 k | 100 k | **0.95** | 0.95–0.97 |");
    assertThat(jq("sweep-compare.jq", oursFailed)).contains("| 64 B | 4 × 4 | 0.80 | **0.80** |");
  }

  @Test
  void sweepTableRoundsItsRatios(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(BENCH.resolve("sweep-table.jq")), "bench/ not found from " + Path.of("").toAbsolutePath());
    Path only = sweep(dir, "a.jsonl", "2026-01-01 10:00 UTC", new long[] {64, 4, 4, 79_960, 100_000});

    String out = jq("sweep-table.jq", only);

    assertThat(out).contains("| 64 B | 4 × 4 | 80 k | 100 k | **0.8** |");
  }
}
