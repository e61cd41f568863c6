package dev.unixsocket.server;

import dev.unixsocket.wire.TransportChoice;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;

import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Serves framed messages on a Unix domain socket.
 *
 * <p>Deploy it with a {@link ServerOptions} ({@code new ServerVerticle(options)}) or with the
 * options as JSON config ({@code vertx.deployVerticle(ServerVerticle.class.getName(),
 * new DeploymentOptions().setConfig(options.toJson()))}). The deployment succeeds once the
 * socket file is in place with its mode set, and fails with a {@link ServerStartException}
 * (a one-line reason) when the path cannot be served: in use by a live server, not a socket,
 * too long, in a missing or unwritable directory. Undeploying stops accepting, lets
 * connections flush their replies (bounded by the stop timeout), and removes the socket file
 * if it is still the one this server created.
 */
public class ServerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ServerVerticle.class);

  private ServerOptions options;
  private SocketFile socketFile;
  private String listenersId;
  private String transportName;
  private final ServerStats stats = new ServerStats();
  private MeterRegistry meterRegistry;
  private List<Meter> meters = List.of();

  /** Takes its options from the deployment's JSON config. */
  public ServerVerticle() {
  }

  public ServerVerticle(ServerOptions options) {
    this.options = new ServerOptions(options);
  }

  @Override
  public Future<?> start() {
    try {
      if (options == null) {
        options = new ServerOptions(config());
      }
      transportName = TransportChoice.nameOf(vertx);
      checkTransport();
    } catch (IllegalArgumentException | IllegalStateException e) {
      return Future.failedFuture(new ServerStartException(e.getMessage()));
    }
    boolean wsl = SocketFile.runningOnWsl();
    return vertx.executeBlocking(() -> SocketFile.prepare(options.getPath(), options.getSocketMode(), wsl))
        .compose(file -> {
          socketFile = file;
          return vertx.deployVerticle(() -> new ListenerVerticle(options, file.bindPath(), file.path().toString(), stats),
              new DeploymentOptions().setInstances(options.getInstances()));
        })
        .compose(id -> {
          listenersId = id;
          return vertx.executeBlocking(() -> {
            socketFile.publish();
            return null;
          });
        })
        .onSuccess(v -> bindMetrics())
        .onSuccess(v -> log.info("listening on {} (transport {}, framing {}, handler {}, mode {}, instances {})", path(),
            transportName, options.getFraming().label(), options.getHandler().label(),
            Integer.toOctalString(options.getSocketMode()), options.getInstances()))
        .<Void>recover(this::abandonStart);
  }

  /** Joins Vert.x's Micrometer registry when Vert.x runs with metrics enabled. */
  private void bindMetrics() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry != null) {
      meterRegistry = registry;
      meters = stats.bindTo(registry, path());
    }
  }

  private void checkTransport() {
    TransportChoice wanted = options.getTransport();
    if (wanted == TransportChoice.AUTO) {
      return;
    }
    String expected = wanted.resolve().name();
    if (!expected.equals(transportName)) {
      throw new IllegalStateException("transport " + wanted.label() + " was asked for but this Vert.x instance runs "
          + transportName + "; build Vert.x with Vertx.builder().withTransport(...)");
    }
  }

  private <T> Future<T> abandonStart(Throwable failure) {
    Throwable reported = failure instanceof ServerStartException
        ? failure
        : new ServerStartException("cannot listen on " + options.getPath() + ": " + describe(failure));
    Future<Void> undeployed = listenersId == null ? Future.succeededFuture() : vertx.undeploy(listenersId).otherwiseEmpty();
    return undeployed
        .compose(v -> vertx.executeBlocking(() -> {
          if (socketFile != null) {
            socketFile.abandon();
          }
          return null;
        }))
        .transform(ar -> Future.<T>failedFuture(reported));
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }

  @Override
  public Future<?> stop() {
    // A later server on the same path in this JVM registers its own meters.
    meters.forEach(m -> meterRegistry.remove(m));
    Future<Void> undeployed = listenersId == null
        ? Future.succeededFuture()
        // Already gone if Vert.x undeployed the children first: that is fine.
        : vertx.undeploy(listenersId).otherwiseEmpty();
    return undeployed.compose(v -> vertx.executeBlocking(() -> {
      if (socketFile != null && socketFile.removeIfOurs()) {
        log.info("stopped; removed {}", path());
      }
      return null;
    }));
  }

  /** The socket path served, absolute. */
  public String path() {
    return socketFile != null ? socketFile.path().toString() : options.getPath();
  }

  /** The transport the server runs on: epoll, io_uring or nio. */
  public String transportName() {
    return transportName;
  }

  /** Connection counters: open, accepted, refused, closed for a reason. */
  public ServerStats stats() {
    return stats;
  }

  /** A copy of the options in force. */
  public ServerOptions options() {
    return new ServerOptions(options);
  }
}
