package dev.unixsocket.bench;

import dev.unixsocket.loadgen.BenchCommand;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The baselines' tests drive them with the load generator, which verifies every reply. */
final class LoadRuns {

  private LoadRuns() {
  }

  /** Runs the load generator with {@code args} (which should include {@code --json}); its figures. */
  static JsonObject run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new BenchCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute(args)).as(err.toString()).isZero();
    return new JsonObject(out.toString().trim());
  }

  /** Every reply came back verified, and there were some. */
  static void assertClean(JsonObject... runs) {
    for (JsonObject j : runs) {
      assertThat(j.getLong("errors")).isZero();
      assertThat(j.getLong("repliesVerified")).isPositive();
    }
  }
}
