package dev.unixsocket.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The listening socket: a Netty server channel of Vert.x's transport (epoll, io_uring or NIO) on
 * Vert.x's acceptor event loop. Each accepted connection passes admission (allowed uids, max
 * connections) and goes to the next {@link ConnectionGroup} in turn.
 *
 * <p>Why not a Vert.x {@code NetServer}: each of its connections carries a {@code NetSocket} with
 * its own outbound message queue, several KB per idle connection; see {@link ServerConnection}.
 */
@ChannelHandler.Sharable
final class Acceptor extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(Acceptor.class);
  private static final AtomicLong CONNECTION_IDS = new AtomicLong();
  /** Accepts in one read of the listener (Netty's default for server channels). */
  private static final int ACCEPTS_PER_READ = 16;
  /** Connections a full server still admits from a peer that may take it over. */
  static final int TAKEOVER_PLACES = 3;

  private final ServerOptions options;
  private final String path;
  private final ServerStats stats;
  private final List<ConnectionGroup> groups;
  private int nextGroup;
  /** This process's uid: with root, the peers that may take the server over. */
  private final int ownUid = Takeover.ownUid();
  private volatile Channel channel;

  private Acceptor(ServerOptions options, String path, ServerStats stats, List<ConnectionGroup> groups) {
    this.options = options;
    this.path = path;
    this.stats = stats;
    this.groups = groups;
  }

  /** Binds {@code bindPath} and starts accepting; {@code path} is the name connections are logged under. */
  static Future<Acceptor> bind(ContextInternal context, String bindPath, String path, ServerOptions options,
      ServerStats stats, List<ConnectionGroup> groups) {
    VertxInternal vertx = context.owner();
    ServerChannel channel = vertx.transport().serverChannelFactory(true).newChannel();
    // Accept until the backlog is empty, 16 at most per read. Netty's default stops after one:
    // its epoll channel takes the accepted descriptor for the bytes read, which then never
    // equal the one byte "attempted", so the read looks finished (and a connection storm waits
    // one loop turn per connection). Not for an inherited socket (adopt): it may be in blocking
    // mode, where the accept that finds the backlog empty would block the loop.
    channel.config().setRecvByteBufAllocator(new ServerChannelRecvByteBufAllocator().respectMaybeMoreData(false)
        .maxMessagesPerRead(ACCEPTS_PER_READ));
    return register(context, channel, vertx.transport().convert(SocketAddress.domainSocketAddress(bindPath)),
        new Acceptor(options, path, stats, groups));
  }

  /**
   * Accepts on a listening socket this process inherited (socket activation): registered as it
   * is, never bound, and never unlinked on close (Netty deletes only a path it bound itself).
   * Epoll only.
   */
  static Future<Acceptor> adopt(ContextInternal context, int fd, String path, ServerOptions options,
      ServerStats stats, List<ConnectionGroup> groups) {
    return register(context, new EpollServerDomainSocketChannel(fd, true), null, new Acceptor(options, path, stats, groups));
  }

  private static Future<Acceptor> register(ContextInternal context, ServerChannel channel,
      java.net.SocketAddress bindTo, Acceptor acceptor) {
    VertxInternal vertx = context.owner();
    channel.pipeline().addLast(acceptor);
    acceptor.channel = channel;
    EventLoop loop = vertx.acceptorEventLoopGroup().next();
    Promise<Acceptor> bound = context.promise();
    loop.register(channel).addListener(registered -> {
      if (!registered.isSuccess()) {
        channel.unsafe().closeForcibly();
        bound.fail(registered.cause());
        return;
      }
      if (bindTo == null) {
        bound.complete(acceptor);
        return;
      }
      channel.bind(bindTo).addListener(b -> {
        if (b.isSuccess()) {
          bound.complete(acceptor);
        } else {
          channel.close();
          bound.fail(b.cause());
        }
      });
    });
    return bound.future();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel child = (Channel) msg;
    long id = CONNECTION_IDS.incrementAndGet();
    Peer peer = null;
    // Set when the peer is refused as a client but may still take the server over (SPEC 6: our
    // own user or root may ask it to drain); its first data frame is refused for this reason.
    Refusal takeoverOnly = null;
    if (!options.getAllowUids().isEmpty()) {
      peer = Peer.of(child);
      if (!peer.known() || !options.getAllowUids().contains(peer.uid())) {
        if (!mayTakeOver(peer)) {
          refused(Refusal.UID, stats, log, path + " conn#" + id, peer, options);
          child.unsafe().closeForcibly();
          return;
        }
        takeoverOnly = Refusal.UID;
      }
    }
    int max = options.getMaxConnections();
    int open = stats.open.incrementAndGet();
    if (open > max && max > 0) {
      // A full server keeps places for a --replace, or the new server would serve beside it: as
      // many as it connects (SocketFile's check that the path is live, then Takeover's connection
      // and its check of where the socket was bound; a closed one may not have been counted out
      // yet), and no more, so that a pool of our own user's clients stays near the limit.
      boolean placeKept = open <= max + TAKEOVER_PLACES;
      if (placeKept && peer == null) {
        peer = Peer.of(child);
      }
      if (!placeKept || !mayTakeOver(peer)) {
        stats.open.decrementAndGet();
        refused(Refusal.LIMIT, stats, log, path + " conn#" + id, peer, options);
        child.unsafe().closeForcibly();
        return;
      }
      takeoverOnly = takeoverOnly == null ? Refusal.LIMIT : takeoverOnly;
    }
    stats.accepted.increment();
    ConnectionGroup group = groups.get(nextGroup);
    nextGroup = (nextGroup + 1) % groups.size();
    group.adopt(child, id, peer, takeoverOnly);
  }

  private boolean mayTakeOver(Peer peer) {
    return peer.known() && (peer.uid() == ownUid || peer.uid() == 0);
  }

  /** Why a peer may not send messages here. */
  enum Refusal {
    /** Its uid is not in {@code --allow-uid}. */
    UID,
    /** The server has {@code --max-connections} open. */
    LIMIT
  }

  /** Counts and logs a peer refused for {@code refusal}. */
  static void refused(Refusal refusal, ServerStats stats, Logger log, String name, Peer peer, ServerOptions options) {
    if (refusal == Refusal.UID) {
      stats.refusedUid.increment();
      log.warn("{}: refused peer{}: uid not in the allow-list {}", name, peer.known() ? peer : " (credentials unknown)",
          options.getAllowUids());
    } else {
      stats.refusedLimit.increment();
      log.warn("{}: refused: {} connections open (max-connections)", name, options.getMaxConnections());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Typically out of file descriptors: say so, and stop accepting for a second rather than spin.
    log.warn("{}: cannot accept a connection: {}", path, cause.toString());
    ctx.channel().config().setAutoRead(false);
    ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true), 1, TimeUnit.SECONDS);
  }

  /**
   * Completes once the listener has accepted the connections waiting in its backlog. Closing a
   * listener resets the connections still in it, so a stop that unlinked the path first calls
   * this, then {@link #close}, and loses none. Meanwhile one read accepts without limit (a next
   * read would come in a later turn), and completion waits for a timer, which runs only after the
   * event loop has polled its I/O again: a task queued from a task runs in the same turn, before
   * any accept.
   */
  Future<Void> acceptBacklog() {
    Promise<Void> done = Promise.promise();
    EventLoop loop = channel.eventLoop();
    loop.execute(() -> {
      if (channel.config().getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator accepts) {
        accepts.maxMessagesPerRead(Integer.MAX_VALUE);
      }
      loop.schedule(() -> done.complete(), 10, TimeUnit.MILLISECONDS);
    });
    return done.future();
  }

  /** Stops accepting; connections already accepted carry on. */
  Future<Void> close() {
    Channel c = channel;
    Promise<Void> closed = Promise.promise();
    c.close().addListener(f -> closed.complete());
    return closed.future();
  }
}
