package dev.unixsocket.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts connections on one event loop. {@link ServerVerticle} deploys one instance per
 * event loop wanted; Vert.x shares the bound socket between them and spreads connections.
 */
final class ListenerVerticle extends VerticleBase {

  private static final AtomicLong CONNECTION_IDS = new AtomicLong();

  private final ServerOptions options;
  private final String bindPath;
  private final String publicPath;
  private final Buffer prefix;
  private NetServer server;

  ListenerVerticle(ServerOptions options, String bindPath, String publicPath) {
    this.options = options;
    this.bindPath = bindPath;
    this.publicPath = publicPath;
    this.prefix = Buffer.buffer(options.getEchoPrefix());
  }

  @Override
  public Future<?> start() {
    server = vertx.createNetServer(new NetServerOptions());
    server.connectHandler(this::accept);
    return server.listen(SocketAddress.domainSocketAddress(bindPath));
  }

  private void accept(NetSocket socket) {
    new EchoConnection(socket, CONNECTION_IDS.incrementAndGet(), publicPath, options, prefix).start();
  }

  @Override
  public Future<?> stop() {
    // Stop accepting; connections close once their written replies are flushed, or at the timeout.
    return server.shutdown(options.getStopTimeoutMs(), TimeUnit.MILLISECONDS);
  }
}
