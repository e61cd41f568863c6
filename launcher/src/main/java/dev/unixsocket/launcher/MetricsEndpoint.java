package dev.unixsocket.launcher;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusRequestHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * {@code --metrics HOST:PORT}: Vert.x runs with Micrometer metrics and a Prometheus endpoint at
 * {@code http://HOST:PORT/metrics}. Loopback only: the figures describe local processes and
 * are nobody else's business.
 */
final class MetricsEndpoint {

  static final String PATH = "/metrics";

  private final String host;
  private final int port;

  private MetricsEndpoint(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /**
   * Parses {@code HOST:PORT} (port 0 picks a free one).
   *
   * @throws IllegalArgumentException stating the rule
   */
  static MetricsEndpoint parse(String spec) {
    int colon = spec.lastIndexOf(':');
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new IllegalArgumentException("--metrics takes HOST:PORT, e.g. 127.0.0.1:9464, was '" + spec + "'");
    }
    String host = spec.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(spec.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--metrics port must be a number, was '" + spec.substring(colon + 1) + "'");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--metrics port must be between 0 and 65535, was " + port);
    }
    try {
      if (!InetAddress.getByName(host).isLoopbackAddress()) {
        throw new IllegalArgumentException("--metrics must bind to a loopback address (127.0.0.1, ::1 or localhost), was " + host);
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--metrics host '" + host + "' is unknown");
    }
    return new MetricsEndpoint(host, port);
  }

  /** Turns on Micrometer with a Prometheus registry in the options Vert.x is built with. */
  void configure(VertxOptions options) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }

  /**
   * Serves the registry over HTTP; blocks until listening.
   *
   * @return the port listened on
   * @throws IllegalStateException with a one-line reason when it cannot listen
   */
  int start(Vertx vertx) {
    PrometheusMeterRegistry registry = (PrometheusMeterRegistry) BackendRegistries.getDefaultNow();
    try {
      HttpServer server = vertx.createHttpServer()
          .requestHandler(PrometheusRequestHandler.create(registry, PATH))
          .listen(port, host)
          .await(30, TimeUnit.SECONDS);
      return server.actualPort();
    } catch (Exception e) {
      throw new IllegalStateException("cannot serve metrics on " + host + ":" + port + ": " + Failures.describe(e));
    }
  }

  String url(int actualPort) {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + actualPort + PATH;
  }
}
