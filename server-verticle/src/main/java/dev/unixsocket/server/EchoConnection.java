package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * The echo handler: answers each frame with echo-prefix + payload. Frames are read in place from
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

  EchoConnection(ConnectionGroup group, long id, Peer peer) {
    super(group, id, peer);
  }

  @Override
  void frame(ChannelHandlerContext ctx, ByteBuf data, int index, int length) {
    Framing framing = group.framing();
    ByteBuf prefix = group.prefix();
    int replyLength = prefix.readableBytes() + length;
    if (batch == null) {
      batch = ctx.alloc().ioBuffer(Math.max(256, Math.min(replyLength + 8, COPY_LIMIT * 4)));
    }
    framing.writeHeader(batch, replyLength);
    batch.writeBytes(prefix, prefix.readerIndex(), prefix.readableBytes());
    if (length <= COPY_LIMIT) {
      batch.writeBytes(data, index, length);
      framing.writeTrailer(batch);
    } else {
      // Large payload: write what we gathered, then the payload itself as a slice, then the trailer.
      ctx.write(batch);
      ctx.write(data.retainedSlice(index, length));
      batch = ctx.alloc().ioBuffer(256);
      framing.writeTrailer(batch);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    super.channelRead(ctx, msg);
    // Large replies are queued as their frames are found: once they pass the water mark, end this
    // read loop now (Netty checks autoRead between reads) rather than after up to 16 more reads.
    if (!ctx.channel().isWritable() && ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  void framesRead(int frames, long payloadBytes) {
    super.framesRead(frames, payloadBytes);
    // Every frame read has its reply in the batch by now.
    group.stats().wrote(frames, payloadBytes + (long) frames * (group.framing().overhead() + group.prefix().readableBytes()));
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
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
    super.handlerRemoved(ctx);
    if (batch != null) {
      batch.release();
      batch = null;
    }
  }
}
