package dev.unixsocket.bench;

import dev.unixsocket.loadgen.BenchCommand;
import dev.unixsocket.loadgen.FramingConverter;
import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.DefaultPath;
import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.Framing;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
 * <p>Frames are found with the wire codec's {@link FrameReader}. Small payloads are copied into
 * one reply buffer per read batch (a 64-byte copy is cheaper than a slice and its bookkeeping);
 * large ones are written as slices of the buffers they arrived in, so a 64 KiB frame is never
 * copied: a frame spread over several reads is gathered, and goes out, as a composite of those
 * reads. One flush per read batch.
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
              ch.pipeline().addLast(new Echo(framing, prefixBytes, maxFrame));
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

  /** Answers each frame with prefix + payload. Runs on the connection's event loop. */
  static final class Echo extends ChannelInboundHandlerAdapter {
    private final Framing framing;
    private final byte[] prefix;
    private final FrameReader reader;
    private ChannelHandlerContext ctx;
    /** Replies of this read batch, written at the end of the batch. */
    private ByteBuf out;

    Echo(Framing framing, byte[] prefix, int maxFrame) {
      this.framing = framing;
      this.prefix = prefix;
      this.reader = new FrameReader(framing, maxFrame, this::frame);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        reader.read((ByteBuf) msg, ctx.alloc()); // releases the read
      } catch (BadFrameException e) {
        System.err.println("netty-echo: " + ctx.channel().remoteAddress() + " sent a " + e.getMessage() + ": closing it");
        release();
        ctx.close();
      }
    }

    private void frame(ByteBuf data, int index, int length) {
      if (length <= COPY_MAX) {
        if (out == null) {
          // Room for this read's replies at once: at most twice the request bytes (tiny frames).
          out = ctx.alloc().directBuffer(Math.max(256, Math.min(2 * data.readableBytes() + prefix.length + 64, 1 << 16)));
        }
        framing.writeHeader(out, prefix.length + length);
        out.writeBytes(prefix).writeBytes(data, index, length);
        framing.writeTrailer(out);
        return;
      }
      writeOut();
      ByteBuf head = ctx.alloc().directBuffer(4 + prefix.length);
      framing.writeHeader(head, prefix.length + length);
      ctx.write(head.writeBytes(prefix), ctx.voidPromise());
      ctx.write(data.retainedSlice(index, length), ctx.voidPromise());
      out = ctx.alloc().directBuffer(256);
      framing.writeTrailer(out);
    }

    private void writeOut() {
      if (out != null && out.isReadable()) {
        ctx.write(out, ctx.voidPromise());
      } else if (out != null) {
        out.release();
      }
      out = null;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      writeOut();
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
      reader.close();
      if (out != null) {
        out.release();
        out = null;
      }
    }
  }

  /** The command line of {@link #main}. */
  @Command(name = "netty-echo", mixinStandardHelpOptions = true,
      description = "Baseline echo server on raw Netty epoll domain sockets.")
  static final class Main implements Callable<Integer> {
    @Option(names = "--path")
    String path = DefaultPath.get();

    @Option(names = "--framing", defaultValue = "length", converter = FramingConverter.class)
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
