package dev.unixsocket.launcher;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --metrics HOST:PORT} option, shared by the commands that run a verticle. */
final class MetricsOption {

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--metrics", paramLabel = "HOST:PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (loopback only; default: off).")
  String metrics;

  /** The metrics endpoint asked for, or null; a bad value is a usage error (exit 2). */
  MetricsEndpoint endpoint() {
    try {
      return metrics == null ? null : MetricsEndpoint.parse(metrics);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage());
    }
  }
}
