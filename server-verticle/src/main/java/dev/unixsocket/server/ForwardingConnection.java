package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.impl.buffer.VertxByteBufAllocator;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.ArrayList;
import java.util.List;

/**
 * The event-bus handler: each frame is sent as an event-bus request ({@link EventBusForwarder}),
 * or with {@code handlerBatch} N > 1 the frames of one read, up to N at a time, as one request
 * carrying them all; the replies are written back in frame order ({@link OrderedReplies}).
 * Reading pauses while {@code maxInFlight} frames await their replies or the peer does not read
 * what we wrote.
 *
 * <p>A peer that shuts down its sending side ({@code printf x | socat - UNIX-CONNECT:...}) still
 * gets its replies: the channel is half-closable and closes once the handlers have answered.
 */
final class ForwardingConnection extends ServerConnection {

  private final OrderedReplies replies = new OrderedReplies(this);
  /** A flush of the replies written is queued on the event loop. */
  private boolean flushScheduled;
  /** Batches: the frames read and not sent yet, and the slot that will answer them; null between reads. */
  private List<Buffer> batch;
  private OrderedReplies.Slot batchSlot;
  /** The delivery options all this connection's requests share (see {@link EventBusForwarder}); made on the first. */
  DeliveryOptions delivery;

  ForwardingConnection(ConnectionGroup group, long id, Peer peer) {
    super(group, id, peer);
  }

  /**
   * Sends the requests of a read from the group's Vert.x context, entered once per read rather
   * than once per frame, so that their replies come back on this event loop; then the batch the
   * read left open.
   */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ContextInternal context = group.context();
    ContextInternal previous = context.beginDispatch();
    try {
      super.channelRead(ctx, msg);
      sendBatch();
    } finally {
      context.endDispatch(previous);
    }
  }

  @Override
  void frame(ByteBuf data, int index, int length) {
    // The one copy of a request: the payload lives in a read buffer that Netty reuses once this
    // returns. Into the heap buffer Buffer.buffer() makes (growable, nothing to release), straight
    // from the read buffer: Buffer.buffer(byte[]) would copy a byte[] copy again.
    ByteBuf copy = VertxByteBufAllocator.DEFAULT.heapBuffer(length, Integer.MAX_VALUE).writeBytes(data, index, length);
    Buffer body = BufferInternal.buffer(copy);
    int batchSize = group.options().getHandlerBatch();
    if (batchSize == 1) {
      group.forwarder().forward(body, this, replies.next());
    } else {
      if (batch == null) {
        batch = new ArrayList<>(Math.min(batchSize, 64));
        batchSlot = replies.next();
      } else {
        replies.join(batchSlot);
      }
      batch.add(body);
      if (batch.size() == batchSize) {
        sendBatch();
      }
    }
    if (replies.pending() >= group.options().getMaxInFlight()) {
      updateReading();
    }
  }

  private void sendBatch() {
    if (batch == null) {
      return;
    }
    List<Buffer> frames = batch;
    OrderedReplies.Slot slot = batchSlot;
    batch = null;
    batchSlot = null;
    group.forwarder().forwardBatch(frames, this, slot);
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

  @Override
  boolean answered() {
    return replies.pending() == 0;
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
    ctx.write(out, ctx.voidPromise()); // nobody listens: no promise per write
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
