package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts connections on one event loop and applies the admission rules (allowed uids, max
 * connections) and the idle timeout. {@link ServerVerticle} deploys one instance per event loop
 * wanted; Vert.x shares the bound socket between them and spreads connections.
 */
final class ListenerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ListenerVerticle.class);
  private static final AtomicLong CONNECTION_IDS = new AtomicLong();

  private final ServerOptions options;
  private final String bindPath;
  private final String publicPath;
  private final ServerStats stats;
  /** The prefix for the Netty echo path: unpooled, shared read-only by this listener's connections. */
  private final ByteBuf nettyPrefix;
  private final Set<ServerConnection> connections = new HashSet<>();
  private EventBusForwarder forwarder;
  private NetServer server;
  private long idleTimer = -1;

  ListenerVerticle(ServerOptions options, String bindPath, String publicPath, ServerStats stats) {
    this.options = options;
    this.bindPath = bindPath;
    this.publicPath = publicPath;
    this.stats = stats;
    this.nettyPrefix = Unpooled.unreleasableBuffer(
        Unpooled.copiedBuffer(options.getEchoPrefix(), java.nio.charset.StandardCharsets.UTF_8)).asReadOnly();
  }

  @Override
  public Future<?> start() {
    if (options.getHandler() == FrameHandler.EVENTBUS) {
      forwarder = new EventBusForwarder(vertx.eventBus(), this, BackendRegistries.getDefaultNow());
    }
    if (options.getIdleTimeoutSeconds() > 0) {
      long period = Math.max(250, options.getIdleTimeoutSeconds() * 1000L / 4);
      idleTimer = vertx.setPeriodic(period, t -> closeIdle());
    }
    server = vertx.createNetServer(new NetServerOptions());
    server.connectHandler(this::accept);
    return server.listen(SocketAddress.domainSocketAddress(bindPath));
  }

  private void accept(NetSocket socket) {
    long id = CONNECTION_IDS.incrementAndGet();
    Peer peer = null;
    if (!options.getAllowUids().isEmpty()) {
      peer = Peer.of(socket);
      if (!peer.known() || !options.getAllowUids().contains(peer.uid())) {
        stats.refusedUid.increment();
        log.warn("{} conn#{}: refused peer{}: uid not in the allow-list {}", publicPath, id,
            peer.known() ? peer : " (credentials unknown)", options.getAllowUids());
        socket.close();
        return;
      }
    }
    int max = options.getMaxConnections();
    if (max > 0 && stats.open.incrementAndGet() > max) {
      stats.open.decrementAndGet();
      stats.refusedLimit.increment();
      log.warn("{} conn#{}: refused: {} connections open (max-connections)", publicPath, id, max);
      socket.close();
      return;
    } else if (max <= 0) {
      stats.open.incrementAndGet();
    }
    stats.accepted.increment();
    ServerConnection connection = new ServerConnection(socket, id, this, peer);
    if (idleTimer >= 0) {
      connections.add(connection);
    }
    connection.start();
  }

  /** Called once per connection when it closes. */
  void closed(ServerConnection connection) {
    stats.open.decrementAndGet();
    if (idleTimer >= 0) {
      connections.remove(connection);
    }
  }

  private void closeIdle() {
    long limit = TimeUnit.SECONDS.toNanos(options.getIdleTimeoutSeconds());
    long now = System.nanoTime();
    for (ServerConnection c : connections) {
      if (now - c.lastFrameNanos > limit && !c.isClosed()) {
        c.closeIdle(options.getIdleTimeoutSeconds());
      }
    }
  }

  ServerOptions options() {
    return options;
  }

  Framing framing() {
    return options.getFraming();
  }

  ByteBuf nettyPrefix() {
    return nettyPrefix;
  }

  String path() {
    return publicPath;
  }

  ServerStats stats() {
    return stats;
  }

  EventBusForwarder forwarder() {
    return forwarder;
  }

  @Override
  public Future<?> stop() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    // Stop accepting; connections close once their written replies are flushed, or at the timeout.
    return server.shutdown(options.getStopTimeoutMs(), TimeUnit.MILLISECONDS);
  }
}
