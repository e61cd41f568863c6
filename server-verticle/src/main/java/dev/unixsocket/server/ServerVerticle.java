package dev.unixsocket.server;

import dev.unixsocket.transport.TransportChoice;
import dev.unixsocket.wire.Framing;
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

import java.nio.ByteBuffer;
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
 * too long, in a missing or unwritable directory. Undeploying removes the socket file if it is
 * still the one this server created, drains the connections (GOAWAY to peers that said HELLO,
 * closed once they confirm with DONE or the drain timeout passes, every frame read answered
 * first) and closes the listener. With {@link ServerOptions#setReplace} it takes a live
 * server's path over; with {@link ServerOptions#setInheritedFd} it serves a socket systemd
 * passed (see {@link SocketActivation}).
 */
public class ServerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ServerVerticle.class);
  /**
   * Local event-bus address a request (body: the path) goes to when another server of ours has
   * taken this one's path over ({@code --replace}): {@code uds server} stops the process (exit 0)
   * on it. Without a consumer the verticle undeploys itself.
   */
  public static final String TAKEN_OVER_ADDRESS = "uds.server.taken-over";
  private static final long HARD_STOP_SLACK_MS = 5_000;

  private ServerOptions options;
  private SocketFile socketFile;
  /** The path of the socket inherited from systemd, when serving one. */
  private volatile String inherited;
  /** The new server's side of --replace, between the connect to the old server and the hand-over. */
  private Takeover takeover;
  private final java.util.concurrent.atomic.AtomicBoolean takenOver = new java.util.concurrent.atomic.AtomicBoolean();
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
    if (options.getInheritedFd() >= 0) {
      return adoptInherited();
    }
    boolean wsl = SocketFile.runningOnWsl();
    return vertx.executeBlocking(() -> {
      SocketFile file = SocketFile.prepare(options.getPath(), options.getSocketMode(), wsl, options.isReplace());
      socketFile = file;
      if (file.replacing()) {
        if (options.getFraming() != Framing.LENGTH) {
          // Checked before the rename, which cannot be undone: the old server would never answer.
          throw new ServerStartException("cannot replace the server at " + file.path() + " with " + options.getFraming().label()
              + " framing: it has no control frames to ask the old server to drain; stop the old server first");
        }
        // Connected to the old server before the rename: afterwards its socket has no name.
        takeover = Takeover.begin(file.path());
      }
      return file;
    })
        .compose(file -> {
          groups = createGroups(file.path().toString());
          return Acceptor.bind((ContextInternal) context, file.bindPath(), file.path().toString(), options, stats, groups);
        })
        .compose(bound -> {
          acceptor = bound;
          return vertx.executeBlocking(() -> {
            socketFile.publish();
            if (takeover != null) {
              handOver();
            }
            return null;
          });
        })
        .onSuccess(v -> bindMetrics())
        .onSuccess(v -> log.info("listening on {} (transport {}, framing {}, handler {}, mode {}, instances {})", path(),
            transportName, options.getFraming().label(), options.getHandler().label(),
            Integer.toOctalString(options.getSocketMode()), options.getInstances()))
        .<Void>recover(this::abandonStart);
  }

  /** Socket activation: serve the listening socket this process inherited; never bind, never unlink it. */
  private Future<?> adoptInherited() {
    int fd = options.getInheritedFd();
    if (!"epoll".equals(transportName)) {
      return Future.failedFuture(new ServerStartException("socket activation (fd " + fd + ") needs the epoll transport;"
          + " this Vert.x instance runs " + transportName));
    }
    String bound;
    try {
      SocketActivation.check(fd, "");
      bound = SocketActivation.boundPath(fd);
    } catch (ServerStartException e) {
      return Future.failedFuture(e);
    }
    String shown = bound != null ? bound : options.getPath();
    groups = createGroups(shown);
    return Acceptor.adopt((ContextInternal) context, fd, shown, options, stats, groups)
        .compose(a -> {
          acceptor = a;
          inherited = shown;
          return Future.succeededFuture();
        })
        .onSuccess(v -> bindMetrics())
        .onSuccess(v -> log.info("listening on {} (inherited fd {}, transport {}, framing {}, handler {}, instances {})",
            shown, fd, transportName, options.getFraming().label(), options.getHandler().label(), options.getInstances()))
        .recover(this::abandonStart);
  }

  /**
   * One group per event loop wanted: this verticle's own loop first, then the next ones of
   * Vert.x's event-loop pool, each with a Vert.x context of its own on that loop.
   */
  private List<ConnectionGroup> createGroups(String publicPath) {
    ContextInternal own = (ContextInternal) context;
    VertxInternal vx = own.owner();
    // Direct, so that copying it into a reply batch is one copy between addresses: a read-only
    // view of a heap buffer hides its array, and each copy then went through three wrappers'
    // getBytes (2% of the event loop at 64 B x 1 x 128). Freed with its ByteBuffer by the GC.
    byte[] text = options.getEchoPrefix().getBytes(StandardCharsets.UTF_8);
    ByteBuf prefix = Unpooled.unreleasableBuffer(
        Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(text.length).put(text).flip())).asReadOnly();
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
      // Never the verticle's own context, even on its loop: event-bus requests forwarded while the
      // verticle is being undeployed (a drain) would lose their replies with its close hooks.
      ContextInternal ctx = vx.contextBuilder().withEventLoop(loop).withClassLoader(own.classLoader()).build();
      made.add(new ConnectionGroup(ctx, options, publicPath, stats, prefix, registry, this::takeover));
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

  /** The new socket is at the path now: tell the old server to drain and exit. */
  private void handOver() {
    try (Takeover t = takeover) {
      takeover = null;
      String problem = t.handOver();
      if (problem == null) {
        log.info("{}: took over from the server that was listening here; it drains and exits", path());
      } else {
        // The rename cannot be undone: serve on, and say what the old server is left doing.
        log.warn("{}: now served here, but the takeover was not confirmed ({}); the old server still serves the"
            + " connections it had: stop it yourself", path(), problem);
      }
    }
  }

  /**
   * A peer sent TAKEOVER: accepted from our own uid or root, once. Accepting publishes the path
   * on {@link #TAKEN_OVER_ADDRESS} so that a launcher can stop this process; with nobody
   * consuming it, the verticle undeploys itself. Either way the stop drains.
   *
   * @return null when accepted, else the reason for refusing
   */
  private String takeover(Peer peer) {
    int own = Takeover.ownUid();
    if (!peer.known()) {
      return "cannot tell the requester's uid";
    }
    if (peer.uid() != own && peer.uid() != 0) {
      return "uid " + peer.uid() + " may not take over a server running as uid " + own;
    }
    if (inherited != null) {
      return "this server serves a socket passed by systemd: restart the service instead";
    }
    if (!takenOver.compareAndSet(false, true)) {
      return "takeover already under way";
    }
    context.runOnContext(v -> vertx.eventBus().request(TAKEN_OVER_ADDRESS, path())
        .onFailure(e -> vertx.undeploy(deploymentID())));
    return null;
  }

  private <T> Future<T> abandonStart(Throwable failure) {
    Throwable reported = failure instanceof ServerStartException
        ? failure
        : new ServerStartException("cannot listen on " + options.getPath() + ": " + describe(failure));
    Future<Void> closed = acceptor == null ? Future.succeededFuture() : acceptor.close();
    return closed.compose(v -> Future.join(groups.stream().map(g -> g.shutdown(0, 0)).toList())).otherwiseEmpty()
        .compose(v -> vertx.executeBlocking(() -> {
          if (takeover != null) {
            takeover.close();
            takeover = null;
          }
          if (socketFile != null) {
            socketFile.abandon();
          }
          return null;
        }))
        .transform(ar -> Future.<T>failedFuture(reported));
  }

  /** The connection groups, one per event loop (for tests, which look at connections on their loop). */
  List<ConnectionGroup> groups() {
    return groups;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }

  /**
   * Graceful stop: no new connections (the socket file is removed if still ours, the listener
   * accepts what already waits in its backlog and closes; an inherited socket is closed at once
   * and keeps its backlog for the next server), then drain every connection (see
   * {@link ConnectionGroup#shutdown}).
   */
  @Override
  public Future<?> stop() {
    // A later server on the same path in this JVM registers its own meters.
    meters.forEach(m -> meterRegistry.remove(m));
    Future<Void> noNewConnections;
    if (inherited != null || acceptor == null) {
      noNewConnections = acceptor == null ? Future.succeededFuture() : acceptor.close();
    } else {
      noNewConnections = vertx.executeBlocking(() -> {
        if (socketFile != null && socketFile.removeIfOurs()) {
          log.info("stopping: removed {}; draining connections", path());
        }
        return null;
      }).compose(v -> acceptor.acceptBacklog()).compose(v -> acceptor.close());
    }
    long drain = options.getDrainTimeoutMs();
    long hard = longestDrainMs(options);
    return noNewConnections
        .compose(v -> Future.join(groups.stream().map(g -> g.shutdown(drain, hard)).toList()))
        .otherwiseEmpty()
        .onComplete(ar -> log.info("stopped"));
  }

  /**
   * How long a graceful stop with these options may drain before the connections still open are
   * closed as they are: the drain timeout, then 5 s for the replies to what was read (an event-bus
   * handler has up to its request timeout more). Only a peer that does not read its replies holds
   * a stop that long. A process that bounds its stop must allow at least this.
   */
  public static long longestDrainMs(ServerOptions options) {
    return options.getDrainTimeoutMs() + HARD_STOP_SLACK_MS
        + (options.getHandler() == FrameHandler.EVENTBUS ? options.getRequestTimeoutMs() : 0);
  }

  /** The socket path served, absolute. */
  public String path() {
    if (inherited != null) {
      return inherited;
    }
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
