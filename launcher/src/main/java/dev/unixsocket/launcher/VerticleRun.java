package dev.unixsocket.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.launcher.application.HookContext;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one verticle in this process through Vert.x's {@link VertxApplication}, on a transport
 * we choose (it would run on NIO otherwise), and stops it gracefully on SIGINT or SIGTERM.
 */
final class VerticleRun implements VertxApplicationHooks {

  private static final Logger log = LoggerFactory.getLogger(VerticleRun.class);
  /** Upper bound for a graceful stop unless the verticle needs longer; past it the process exits anyway, with status 1. */
  private static final long STOP_LIMIT_MS = 30_000;

  private final Transport transport;
  /** Null unless --metrics was given. */
  private final MetricsEndpoint metrics;
  /** Null unless --cluster was given. */
  private final ClusterSettings cluster;
  private final Consumer<HookContext> onDeployed;
  /** Vert.x's event-loop pool size; 0 = Vert.x's default (twice the CPUs). */
  private final int eventLoops;
  /** Runs before the main verticle is deployed (user verticles, consumers that must see its first events). */
  private final Consumer<Vertx> beforeDeploy;
  private volatile Vertx vertx;
  private volatile String deploymentId;
  private volatile Throwable failure;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile long stopLimitMs = STOP_LIMIT_MS;
  /** The stop passed its limit or failed: connections may have been cut rather than drained. */
  private volatile boolean stopIncomplete;

  private VerticleRun(Transport transport, MetricsEndpoint metrics, ClusterSettings cluster, int eventLoops,
      Consumer<Vertx> beforeDeploy, Consumer<HookContext> onDeployed) {
    this.transport = transport;
    this.eventLoops = eventLoops;
    this.metrics = metrics;
    this.cluster = cluster;
    this.beforeDeploy = beforeDeploy;
    this.onDeployed = onDeployed;
  }

  /**
   * Deploys the verticle and returns once it is deployed.
   *
   * @throws IllegalStateException with the deployment's one-line failure
   */
  static VerticleRun deploy(String verticleClass, JsonObject config, Transport transport, MetricsEndpoint metrics,
      Consumer<Vertx> beforeDeploy, Consumer<HookContext> onDeployed) {
    return deploy(verticleClass, config, transport, metrics, null, 0, beforeDeploy, onDeployed);
  }

  /**
   * As above, on a clustered event bus unless {@code cluster} is null, with {@code eventLoops}
   * event-loop threads (0: Vert.x's default; a {@code vertx.options.eventLoopPoolSize} system
   * property still wins, as it does for any Vert.x launcher).
   */
  static VerticleRun deploy(String verticleClass, JsonObject config, Transport transport, MetricsEndpoint metrics,
      ClusterSettings cluster, int eventLoops, Consumer<Vertx> beforeDeploy, Consumer<HookContext> onDeployed) {
    Logging.quietVertxLauncher();
    VerticleRun run = new VerticleRun(transport, metrics, cluster, eventLoops, beforeDeploy, onDeployed);
    String[] args = cluster == null ? new String[] {verticleClass, "-conf", config.encode()}
        : new String[] {verticleClass, "-conf", config.encode(), "-cluster"};
    int code = new Application(args, run).launch();
    if (code != 0) {
      Vertx v = run.vertx;
      if (v != null) {
        try {
          v.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.debug("close after failed start: {}", e.toString());
        }
      }
      Throwable t = run.failure;
      throw new IllegalStateException(t == null ? "could not start (exit code " + code + ")" : Failures.describe(t));
    }
    return run;
  }

  Vertx vertx() {
    return vertx;
  }

  /**
   * Lets a graceful stop take up to {@code ms} (never less than the default 30 s): a server's
   * drain may legitimately last longer, and cutting it short resets the connections it drains.
   */
  void allowStopFor(long ms) {
    stopLimitMs = Math.max(STOP_LIMIT_MS, ms);
  }

  /**
   * Blocks until SIGINT, SIGTERM or {@link #stopGracefully} has stopped Vert.x (undeploying the
   * verticle); returns the exit status: 0, or 1 when the stop did not complete within its limit.
   */
  int awaitSignalAndStop() {
    SignalHandler stop = signal -> stopGracefully("received SIG" + signal.getName());
    Signal.handle(new Signal("INT"), stop);
    Signal.handle(new Signal("TERM"), stop);
    try {
      stopped.await();
      return stopIncomplete ? 1 : 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** Stops Vert.x as a signal does, once, on a thread of its own: {@link #awaitSignalAndStop} then returns. */
  void stopGracefully(String why) {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    log.info("{}; stopping", why);
    Thread stopper = new Thread(() -> {
      try {
        undeployThenClose(Future.succeededFuture());
      } catch (Exception e) {
        stopIncomplete = true;
        log.warn("stop failed: {}", Failures.describe(e));
      }
      stopped.countDown();
    }, "uds-stop");
    stopper.start();
  }

  /** Stops Vert.x from this process. */
  boolean stop() {
    return stop(Future.succeededFuture());
  }

  /**
   * Stops Vert.x from this process once {@code lastEvents} completes (bounded by the stop limit):
   * for a caller whose consumers must still receive what the verticle publishes while it stops
   * (the console and the client's STOPPED status).
   */
  boolean stop(Future<?> lastEvents) {
    try {
      undeployThenClose(lastEvents);
      return true;
    } catch (Exception e) {
      log.warn("stop did not complete: {}", Failures.describe(e));
      return false;
    }
  }

  /**
   * Undeploys the main verticle, waits for {@code lastEvents}, then closes Vert.x. Undeployed on
   * its own, the verticle stops while everything it talks to is still there (the verticles
   * deployed before it, such as a server's event-bus handler). The wait matters because Vert.x
   * delivers a published message to a consumer on another context later, on that context's
   * event loop, while close() unregisters every consumer right after the undeployment: without
   * it, a status published in the verticle's stop could arrive after its consumer was gone,
   * with a WARN "Discarding message since the consumer is not registered".
   */
  private void undeployThenClose(Future<?> lastEvents) throws Exception {
    long limitMs = stopLimitMs;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
    String id = deploymentId;
    if (id != null && vertx.deploymentIDs().contains(id)) {
      try {
        vertx.undeploy(id).await(limitMs, TimeUnit.MILLISECONDS);
        lastEvents.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        log.warn("stopping the verticle failed: {}", Failures.describe(e));
      }
    }
    // Blocking, not chained: a future chained on the verticle's context could not complete once
    // close() has stopped its event loop.
    vertx.close().await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    if (eventLoops > 0 && System.getProperty("vertx.options.eventLoopPoolSize") == null) {
      options.setEventLoopPoolSize(eventLoops);
    }
    VertxBuilder builder = Vertx.builder().with(options).withTransport(transport);
    if (metrics != null) {
      metrics.configure(options);
      builder.withMetrics(new MicrometerMetricsFactory());
    }
    if (cluster != null) {
      Logging.quietHazelcast();
      cluster.applyTo(options.getEventBusOptions());
      builder.withClusterManager(cluster.clusterManager());
    }
    return builder;
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    vertx = context.vertx();
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable t) {
    failure = t;
  }

  @Override
  public void beforeDeployingVerticle(HookContext context) {
    try {
      if (metrics != null) {
        int port = metrics.start(context.vertx());
        log.info("metrics on {}", metrics.url(port));
      }
      beforeDeploy.accept(context.vertx());
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    }
  }

  /** Deploys verticles by class name, one after the other, waiting for each (for {@code beforeDeploy}). */
  static Consumer<Vertx> deployAll(List<String> verticleClasses) {
    return vertx -> {
      for (String name : verticleClasses) {
        try {
          vertx.deployVerticle(name).await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException("cannot deploy " + name + ": " + whyNotDeployed(e));
        }
      }
    };
  }

  /** A missing class's exception says only its name, which the line names already. */
  private static String whyNotDeployed(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ClassNotFoundException) {
        return "no such class on the class path (add its jar: with ./uds, UDS_CLASSPATH=app.jar)";
      }
    }
    return Failures.describe(e);
  }

  @Override
  public void afterVerticleDeployed(HookContext context) {
    deploymentId = context.deploymentId();
    onDeployed.accept(context);
  }

  @Override
  public void afterFailureToDeployVerticle(HookContext context, Throwable t) {
    if (failure == null) {
      failure = t == null ? new IllegalStateException("timed out while deploying") : t;
    }
  }

  /** The launcher without its usage dump and System.exit on failure: we report failures ourselves. */
  private static final class Application extends VertxApplication {
    Application(String[] args, VertxApplicationHooks hooks) {
      super(args, hooks, false, false);
    }
  }
}
