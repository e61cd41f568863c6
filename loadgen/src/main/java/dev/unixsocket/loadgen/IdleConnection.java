package dev.unixsocket.loadgen;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.atomic.AtomicLong;

/** A connection that sends nothing; counts whether the server closes it or sends anything. */
final class IdleConnection extends ChannelInboundHandlerAdapter {

  private final AtomicLong closedByServer;
  private final AtomicLong unexpectedBytes;
  private volatile boolean closing;

  IdleConnection(AtomicLong closedByServer, AtomicLong unexpectedBytes) {
    this.closedByServer = closedByServer;
    this.unexpectedBytes = unexpectedBytes;
  }

  void closing() {
    closing = true;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    unexpectedBytes.incrementAndGet();
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!closing) {
      closedByServer.incrementAndGet();
    }
    ctx.fireChannelInactive();
  }
}
