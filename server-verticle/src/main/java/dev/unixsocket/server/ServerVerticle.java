package dev.unixsocket.server;

import dev.unixsocket.transport.TransportChoice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.Future;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
  private List<ConnectionGroup> groups = List.of();
  private Acceptor acceptor;
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
          groups = createGroups(file.path().toString());
          return Acceptor.bind((ContextInternal) context, file.bindPath(), file.path().toString(), options, stats, groups);
        })
        .compose(bound -> {
          acceptor = bound;
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

  /**
   * One group per event loop wanted: this verticle's own loop first, then the next ones of
   * Vert.x's event-loop pool, each with a Vert.x context of its own on that loop.
   */
  private List<ConnectionGroup> createGroups(String publicPath) {
    ContextInternal own = (ContextInternal) context;
    VertxInternal vx = own.owner();
    ByteBuf prefix = Unpooled.unreleasableBuffer(
        Unpooled.copiedBuffer(options.getEchoPrefix(), StandardCharsets.UTF_8)).asReadOnly();
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    List<EventLoop> loops = new ArrayList<>();
    loops.add(own.nettyEventLoop());
    for (EventExecutor e : vx.nettyEventLoopGroup()) {
      if (loops.size() < options.getInstances() && e != own.nettyEventLoop()) {
        loops.add((EventLoop) e);
      }
    }
    List<ConnectionGroup> made = new ArrayList<>();
    for (int i = 0; i < options.getInstances(); i++) {
      EventLoop loop = loops.get(i % loops.size());
      ContextInternal ctx = i == 0 ? own : vx.contextBuilder().withEventLoop(loop).withClassLoader(own.classLoader()).build();
      made.add(new ConnectionGroup(ctx, options, publicPath, stats, prefix, registry));
    }
    return made;
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
    Future<Void> closed = acceptor == null ? Future.succeededFuture() : acceptor.close();
    return closed.compose(v -> Future.join(groups.stream().map(g -> g.shutdown(0)).toList())).otherwiseEmpty()
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
    // Stop accepting, then let every connection answer what it read, flush and close.
    Future<Void> closed = acceptor == null ? Future.succeededFuture() : acceptor.close();
    return closed.compose(v -> Future.join(groups.stream().map(g -> g.shutdown(options.getStopTimeoutMs())).toList()))
        .otherwiseEmpty()
        .compose(v -> vertx.executeBlocking(() -> {
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
