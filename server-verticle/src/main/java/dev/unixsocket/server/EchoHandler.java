package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;

/**
 * The echo handler's hot path, inside the connection's Netty pipeline, ahead of Vert.x's own
 * handler. Why: Vert.x's {@code NetSocket} copies every read into a heap buffer and sends every
 * write through its per-connection outbound queue; here frames arrive as slices of Netty's
 * pooled read buffers, small replies are gathered into one pooled buffer per read batch, large
 * payloads go back out as the same slices (no copy), and there is one flush per read batch.
 * Vert.x still owns the connection: accept, close, shutdown, the close handler.
 */
final class EchoHandler extends ChannelInboundHandlerAdapter {

  /** Payloads up to this size are copied into the batch buffer; larger ones are sent as slices. */
  private static final int COPY_LIMIT = 1024;

  private final ServerConnection connection;
  private final Framing framing;
  private final ByteBuf prefix;
  private final ServerStats stats;
  /** Replies gathered during the current read batch; written and flushed at read complete. */
  private ByteBuf batch;
  private int framesThisBatch;
  private long bytesThisBatch;

  EchoHandler(ServerConnection connection, Framing framing, ByteBuf prefix, ServerStats stats) {
    this.connection = connection;
    this.framing = framing;
    this.prefix = prefix;
    this.stats = stats;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ByteBuf frame = (ByteBuf) msg;
    try {
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
      connection.lastFrameNanos = System.nanoTime();
      stats.framesIn.add(framesThisBatch);
      stats.framesOut.add(framesThisBatch);
      stats.bytesIn.add(bytesThisBatch);
      stats.bytesOut.add(bytesThisBatch + (long) framesThisBatch * (prefix.readableBytes() + framing.overhead()));
      framesThisBatch = 0;
      bytesThisBatch = 0;
    }
    if (batch != null) {
      ByteBuf out = batch;
      batch = null;
      if (out.isReadable()) {
        ctx.write(out);
      } else {
        out.release();
      }
      ctx.flush();
      if (!ctx.channel().isWritable()) {
        // A peer that does not read its replies stops being read, instead of growing our queue.
        ctx.channel().config().setAutoRead(false);
      }
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // Answer the good frames that came before the bad one, then close this connection only.
      if (batch != null) {
        ctx.write(batch);
        batch = null;
      }
      ctx.flush();
      connection.closeOversize("frame exceeds max-frame " + connection.maxFrame() + " (" + cause.getMessage() + ")");
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (batch != null) {
      batch.release();
      batch = null;
    }
  }
}
