package dev.unixsocket.bench;

import dev.unixsocket.loadgen.BenchCommand;
import dev.unixsocket.wire.Framing;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Baseline: an echo server written directly on Netty's epoll domain-socket channels, doing what
 * the product's echo handler does (reply = prefix + payload, one frame per frame) and nothing
 * else, to show what Vert.x costs on top of Netty. One event loop by default, like one verticle
 * instance.
 *
 * <p>Small payloads are copied into one reply buffer per read batch (a 64-byte copy is cheaper
 * than a slice and its bookkeeping); large ones are written as slices of the buffers they arrived
 * in, so a 64 KiB frame is never copied or re-assembled: a frame spread over several reads goes
 * out as a composite of those reads. One flush per read batch.
 *
 * <p>Run: {@code java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.NettyEchoServer --path P};
 * prints {@code listening on P} when ready, stops on SIGINT/SIGTERM.
 */
public final class NettyEchoServer implements AutoCloseable {

  /** Payloads up to this size are copied into the batch's reply buffer; larger ones are sliced. */
  static final int COPY_MAX = 2048;

  private final EventLoopGroup group;
  private final Channel server;
  private final Path socketFile;

  private NettyEchoServer(EventLoopGroup group, Channel server, Path socketFile) {
    this.group = group;
    this.server = server;
    this.socketFile = socketFile;
  }

  /** Binds {@code path} (removing a stale socket file there) and serves until {@link #close()}. */
  public static NettyEchoServer start(String path, Framing framing, String prefix, int threads, int maxFrame)
      throws IOException, InterruptedException {
    Path file = Path.of(path);
    if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther()) {
        throw new IOException(path + " exists and is not a socket");
      }
      Files.delete(file); // a baseline: no live-server check, the bench script owns the path
    }
    byte[] prefixBytes = prefix.getBytes(StandardCharsets.UTF_8);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("netty-echo", false),
        EpollIoHandler.newFactory());
    try {
      ServerBootstrap b = new ServerBootstrap()
          .group(group)
          .channel(EpollServerDomainSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
            @Override
            protected void initChannel(EpollDomainSocketChannel ch) {
              ch.pipeline().addLast(framing == Framing.LENGTH
                  ? new LengthEcho(prefixBytes, maxFrame)
                  : new LineEcho(prefixBytes, maxFrame));
            }
          });
      Channel server = b.bind(new DomainSocketAddress(path)).sync().channel();
      return new NettyEchoServer(group, server, file);
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socketFile);
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Appends one reply header (length framing) and the prefix. */
  private static ByteBuf head(ByteBuf out, byte[] prefix, long payloadLength) {
    return out.writeInt((int) (prefix.length + payloadLength)).writeBytes(prefix);
  }

  /** Length framing, without copying large payloads. Runs on the connection's event loop. */
  static final class LengthEcho extends ChannelInboundHandlerAdapter {
    private final byte[] prefix;
    private final int maxFrame;
    /** Replies of small frames of this read batch, written at the end of the batch. */
    private ByteBuf out;
    /** An incomplete header, or a header and the start of a small payload. */
    private ByteBuf partial;
    /** Reply of a large frame being received: header, prefix, then the payload's slices. */
    private CompositeByteBuf large;
    private long largeRemaining;

    LengthEcho(byte[] prefix, int maxFrame) {
      this.prefix = prefix;
      this.maxFrame = maxFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      try {
        if (large != null && !feedLarge(ctx, in)) {
          return;
        }
        if (partial != null && !completePartial(ctx, in)) {
          return;
        }
        parse(ctx, in);
      } catch (TooLarge e) {
        System.err.println("netty-echo: " + ctx.channel().remoteAddress() + " sent a frame of " + e.length
            + " bytes, more than max-frame " + maxFrame + ": closing it");
        release();
        ctx.close();
      } finally {
        in.release();
      }
    }

    /** Returns whether the large frame is complete (and bytes of {@code in} may remain). */
    private boolean feedLarge(ChannelHandlerContext ctx, ByteBuf in) {
      int take = (int) Math.min(largeRemaining, in.readableBytes());
      large.addComponent(true, in.readRetainedSlice(take));
      largeRemaining -= take;
      if (largeRemaining > 0) {
        return false;
      }
      writeOut(ctx);
      ctx.write(large, ctx.voidPromise());
      large = null;
      return true;
    }

    /** Returns whether the partial frame is complete. */
    private boolean completePartial(ChannelHandlerContext ctx, ByteBuf in) {
      if (partial.readableBytes() < 4) {
        partial.writeBytes(in, Math.min(4 - partial.readableBytes(), in.readableBytes()));
        if (partial.readableBytes() < 4) {
          return false;
        }
      }
      long n = checked(partial.getUnsignedInt(partial.readerIndex()));
      if (n > COPY_MAX) {
        partial.release();
        partial = null;
        startLarge(ctx, n);
        return feedLarge(ctx, in);
      }
      int missing = (int) (4 + n - partial.readableBytes());
      int take = Math.min(missing, in.readableBytes());
      partial.writeBytes(in, take);
      if (take < missing) {
        return false;
      }
      smallReply(ctx, partial, partial.readerIndex() + 4, (int) n);
      partial.release();
      partial = null;
      return true;
    }

    private void parse(ChannelHandlerContext ctx, ByteBuf in) {
      while (true) {
        int r = in.readableBytes();
        if (r == 0) {
          return;
        }
        if (r < 4) {
          partial = ctx.alloc().directBuffer(64).writeBytes(in);
          return;
        }
        int at = in.readerIndex();
        long n = checked(in.getUnsignedInt(at));
        if (n > COPY_MAX) {
          if (r >= 4 + n) {
            writeOut(ctx);
            ctx.write(head(ctx.alloc().directBuffer(4 + prefix.length), prefix, n), ctx.voidPromise());
            ctx.write(in.retainedSlice(at + 4, (int) n), ctx.voidPromise());
            in.skipBytes(4 + (int) n);
          } else {
            in.skipBytes(4);
            startLarge(ctx, n);
            feedLarge(ctx, in);
            return;
          }
        } else if (r >= 4 + n) {
          smallReply(ctx, in, at + 4, (int) n);
          in.skipBytes(4 + (int) n);
        } else {
          partial = ctx.alloc().directBuffer(4 + (int) n).writeBytes(in);
          return;
        }
      }
    }

    private void startLarge(ChannelHandlerContext ctx, long n) {
      large = ctx.alloc().compositeDirectBuffer(1024);
      large.addComponent(true, head(ctx.alloc().directBuffer(4 + prefix.length), prefix, n));
      largeRemaining = n;
    }

    private void smallReply(ChannelHandlerContext ctx, ByteBuf src, int index, int n) {
      if (out == null) {
        // Room for this read's replies at once: at most twice the request bytes (tiny frames).
        int hint = src == partial ? 4 + n : src.readableBytes();
        out = ctx.alloc().directBuffer(Math.max(256, Math.min(2 * hint + prefix.length + 64, 1 << 16)));
      }
      head(out, prefix, n).writeBytes(src, index, n);
    }

    private void writeOut(ChannelHandlerContext ctx) {
      if (out != null) {
        ctx.write(out, ctx.voidPromise());
        out = null;
      }
    }

    private long checked(long n) {
      if (n > maxFrame) {
        throw new TooLarge(n);
      }
      return n;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      writeOut(ctx);
      ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // A peer that does not read its replies stops us reading its requests.
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      release();
    }

    private void release() {
      if (out != null) {
        out.release();
        out = null;
      }
      if (partial != null) {
        partial.release();
        partial = null;
      }
      if (large != null) {
        large.release();
        large = null;
      }
    }
  }

  /** Line framing: copies (it exists to exercise the bench's line mode, not to set a record). */
  static final class LineEcho extends ChannelInboundHandlerAdapter {
    private final byte[] prefix;
    private final int maxFrame;
    private ByteBuf out;
    private ByteBuf partial;

    LineEcho(byte[] prefix, int maxFrame) {
      this.prefix = prefix;
      this.maxFrame = maxFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      try {
        ByteBuf buf = in;
        if (partial != null) {
          partial.writeBytes(in);
          buf = partial;
        }
        while (buf.isReadable()) {
          int nl = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) '\n');
          if (nl < 0) {
            break;
          }
          int start = buf.readerIndex();
          int end = nl > start && buf.getByte(nl - 1) == '\r' ? nl - 1 : nl;
          if (end - start > maxFrame) {
            ctx.close();
            return;
          }
          if (out == null) {
            out = ctx.alloc().directBuffer(1024);
          }
          out.writeBytes(prefix).writeBytes(buf, start, end - start).writeByte('\n');
          buf.readerIndex(nl + 1);
        }
        if (buf.readableBytes() > maxFrame + 1) {
          ctx.close();
          return;
        }
        if (buf == partial) {
          if (!partial.isReadable()) {
            partial.release();
            partial = null;
          } else {
            partial.discardReadBytes();
          }
        } else if (buf.isReadable()) {
          partial = ctx.alloc().directBuffer(Math.max(256, buf.readableBytes() * 2)).writeBytes(buf);
        }
      } finally {
        in.release();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (out != null) {
        ctx.write(out, ctx.voidPromise());
        out = null;
      }
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (out != null) {
        out.release();
        out = null;
      }
      if (partial != null) {
        partial.release();
        partial = null;
      }
    }
  }

  private static final class TooLarge extends RuntimeException {
    final long length;

    TooLarge(long length) {
      super(null, null, false, false);
      this.length = length;
    }
  }

  /** The command line of {@link #main}. */
  @Command(name = "netty-echo", mixinStandardHelpOptions = true,
      description = "Baseline echo server on raw Netty epoll domain sockets.")
  static final class Main implements Callable<Integer> {
    @Option(names = "--path", defaultValue = "/tmp/unixsocket.sock")
    String path;

    @Option(names = "--framing", defaultValue = "length", converter = BenchCommand.FramingConverter.class)
    Framing framing;

    @Option(names = "--echo-prefix", defaultValue = "echo:")
    String prefix;

    @Option(names = "--threads", defaultValue = "1", description = "Event loops (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-frame", defaultValue = "10485760")
    int maxFrame;

    @Override
    public Integer call() throws Exception {
      NettyEchoServer server;
      try {
        server = start(path, framing, prefix, threads, maxFrame);
      } catch (Exception e) {
        System.err.println("netty-echo: cannot serve " + path + ": " + BenchCommand.describe(e));
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        stopped.countDown();
      }, "netty-echo-stop"));
      System.out.println("listening on " + path + " (raw netty epoll, " + framing.label() + " framing, "
          + threads + " event loop" + (threads == 1 ? "" : "s") + ")");
      System.out.flush();
      stopped.await();
      return 0;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
