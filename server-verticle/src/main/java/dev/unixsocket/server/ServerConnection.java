package dev.unixsocket.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, as the last handler of its Netty pipeline (after the framing decoder):
 * every frame is answered by exactly one frame, in order. The subclasses say how:
 * {@link EchoConnection} answers at once, {@link ForwardingConnection} through the event bus.
 * Here: what every connection has (its group, id, peer, idle clock, place in the group's list)
 * and how it closes (idle, oversize, stop). Confined to the connection's event loop.
 *
 * <p>Why a Netty handler rather than a Vert.x {@code NetSocket}: an idle {@code NetSocket}
 * costs about 6 KB of heap (its outbound message queue alone 4.7 KB); this object and the
 * decoder are what a connection adds to Netty's channel, and an idle one holds no buffer.
 */
abstract class ServerConnection extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  final ConnectionGroup group;
  private final long id;
  /** The peer, looked up when first needed (SO_PEERCRED is a system call), or at admission. */
  private Peer peer;
  ChannelHandlerContext ctx;
  /** When the last complete frame arrived (or the connection opened), for the idle timeout. */
  long lastFrameNanos;
  /** The group's list of open connections: intrusive, so that it costs no node per connection. */
  ServerConnection previous;
  ServerConnection next;
  /** No more reading: close once what was read is answered. */
  boolean closing;

  ServerConnection(ConnectionGroup group, long id, Peer peer) {
    this.group = group;
    this.id = id;
    this.peer = peer;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Runs on the connection's event loop once the channel is registered there.
    this.ctx = ctx;
    this.lastFrameNanos = System.nanoTime();
    group.added(this);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    group.removed(this);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
      group.stats().closedOversize.increment();
      log.warn("{}: closing connection: frame exceeds max-frame {} ({})", name(), group.options().getMaxFrame(),
          cause.getMessage());
      closeWhenAnswered();
      return;
    }
    // A reset by the peer and the like: the connection is gone, nothing to answer.
    log.debug("{}: {}", name(), cause.toString());
    ctx.close();
  }

  /** Graceful stop: read no more, answer what was read, flush, close. */
  abstract void closeWhenAnswered();

  /** Closes a connection that completed no frame within the idle timeout. */
  void closeIdle(long idleSeconds) {
    group.stats().closedIdle.increment();
    log.info("{}: closing connection: no complete frame for {} s (idle timeout)", name(), idleSeconds);
    ctx.close();
  }

  void forceClose() {
    ctx.close();
  }

  boolean isOpen() {
    return ctx.channel().isOpen();
  }

  ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  /** Built only when logged: an idle connection should not carry its own strings. */
  String name() {
    return group.path() + " conn#" + id + peer();
  }

  Peer peer() {
    if (peer == null) {
      peer = ctx == null ? Peer.UNKNOWN : Peer.of(ctx.channel());
    }
    return peer;
  }

  long id() {
    return id;
  }
}
