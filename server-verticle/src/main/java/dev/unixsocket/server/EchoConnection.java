package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * The echo handler: answers each frame with echo-prefix + payload. Frames arrive as slices of
 * Netty's pooled read buffers; replies to small frames are gathered into one pooled buffer per
 * read batch, payloads over 1 KiB go back out as the same slice (no copy), and there is one flush
 * per read batch. A peer that does not read its replies stops being read (the channel's write
 * water marks) instead of growing our queue.
 */
final class EchoConnection extends ServerConnection {

  /** Payloads up to this size are copied into the batch buffer; larger ones are sent as slices. */
  private static final int COPY_LIMIT = 1024;

  /** Replies gathered during the current read batch; written and flushed at read complete. */
  private ByteBuf batch;
  private int framesThisBatch;
  private long bytesThisBatch;

  EchoConnection(ConnectionGroup group, long id, Peer peer) {
    super(group, id, peer);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ByteBuf frame = (ByteBuf) msg;
    try {
      if (closing) {
        return; // after an oversize frame or a stop: nothing more is answered
      }
      Framing framing = group.framing();
      ByteBuf prefix = group.prefix();
      int length = frame.readableBytes();
      int replyLength = prefix.readableBytes() + length;
      bytesThisBatch += length;
      framesThisBatch++;
      if (batch == null) {
        batch = ctx.alloc().ioBuffer(Math.max(256, Math.min(replyLength + 8, COPY_LIMIT * 4)));
      }
      framing.writeHeader(batch, replyLength);
      batch.writeBytes(prefix, prefix.readerIndex(), prefix.readableBytes());
      if (length <= COPY_LIMIT) {
        batch.writeBytes(frame, frame.readerIndex(), length);
        framing.writeTrailer(batch);
      } else {
        // Large payload: write what we gathered, then the payload slice itself, then the trailer.
        ctx.write(batch);
        ctx.write(frame.retain());
        batch = ctx.alloc().ioBuffer(256);
        framing.writeTrailer(batch);
      }
    } finally {
      frame.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (framesThisBatch > 0) {
      lastFrameNanos = System.nanoTime();
      int overhead = group.framing().overhead();
      group.stats().read(framesThisBatch, bytesThisBatch + (long) framesThisBatch * overhead);
      group.stats().wrote(framesThisBatch,
          bytesThisBatch + (long) framesThisBatch * (overhead + group.prefix().readableBytes()));
      framesThisBatch = 0;
      bytesThisBatch = 0;
    }
    if (batch != null) {
      flushBatch(ctx);
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }
    ctx.fireChannelReadComplete();
  }

  private void flushBatch(ChannelHandlerContext ctx) {
    ByteBuf out = batch;
    batch = null;
    if (out != null && out.isReadable()) {
      ctx.write(out);
    } else if (out != null) {
      out.release();
    }
    ctx.flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && !closing) {
      ctx.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  void closeWhenAnswered() {
    if (closing) {
      return;
    }
    closing = true;
    ctx.channel().config().setAutoRead(false);
    // Every frame read so far has its reply in the batch: flush it, close once it is written.
    flushBatch(ctx);
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (batch != null) {
      batch.release();
      batch = null;
    }
  }
}
