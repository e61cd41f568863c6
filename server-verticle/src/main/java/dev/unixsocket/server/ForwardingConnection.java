package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.buffer.Buffer;

/**
 * The event-bus handler: each frame is sent as an event-bus request ({@link EventBusForwarder})
 * and the replies are written back in frame order ({@link OrderedReplies}). Reading pauses while
 * {@code maxInFlight} frames await their replies or the peer does not read what we wrote.
 *
 * <p>A peer that shuts down its sending side ({@code printf x | socat - UNIX-CONNECT:...}) still
 * gets its replies: the channel is half-closable and closes once the handlers have answered.
 */
final class ForwardingConnection extends ServerConnection {

  private final OrderedReplies replies = new OrderedReplies(this);
  /** A flush of the replies written is queued on the event loop. */
  private boolean flushScheduled;

  ForwardingConnection(ConnectionGroup group, long id, Peer peer) {
    super(group, id, peer);
  }

  @Override
  void frame(ChannelHandlerContext ctx, ByteBuf data, int index, int length) {
    // A copy: the payload lives in a read buffer that Netty reuses once this returns.
    Buffer body = Buffer.buffer(ByteBufUtil.getBytes(data, index, length));
    group.forward(body, this, replies.next());
    if (replies.pending() >= group.options().getMaxInFlight()) {
      updateReading();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      closeWhenAnswered();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateReading();
    ctx.fireChannelWritabilityChanged();
  }

  OrderedReplies replies() {
    return replies;
  }

  /** Called by {@link OrderedReplies} with the replies now due, in frame order, encoded. */
  void writeReplies(ByteBuf out, int frames) {
    if (!ctx.channel().isActive()) {
      out.release();
      return;
    }
    group.stats().wrote(frames, out.readableBytes());
    if (closing && replies.pending() == 0) {
      ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    // Replies come back one event-bus task each: flush once after the tasks queued by now,
    // not once per reply.
    ctx.write(out);
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.channel().eventLoop().execute(this::flushReplies);
    }
    updateReading();
  }

  private void flushReplies() {
    flushScheduled = false;
    ctx.flush();
  }

  /** Reads while there is room for more frames in flight and the peer keeps up with its replies. */
  private void updateReading() {
    boolean read = !closing && replies.pending() < group.options().getMaxInFlight() && ctx.channel().isWritable();
    if (ctx.channel().config().isAutoRead() != read) {
      ctx.channel().config().setAutoRead(read);
    }
  }

  @Override
  void closeWhenAnswered() {
    if (closing) {
      return;
    }
    closing = true;
    ctx.channel().config().setAutoRead(false);
    if (replies.pending() == 0) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
