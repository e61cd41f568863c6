package dev.unixsocket.bench;

import dev.unixsocket.loadgen.BenchCommand;
import dev.unixsocket.loadgen.FramingConverter;
import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.DefaultPath;
import dev.unixsocket.wire.FrameSpan;
import dev.unixsocket.wire.Framing;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Baseline: an echo server on Netty 4.2's event loop without channels. The listener and each
 * connection are {@link EpollIoHandle}s registered with the loop's epoll handler (Netty's public
 * API for things other than channels); a readable connection is read once into a buffer its loop
 * shares, its frames found by the wire codec's {@link Framing#find}, and all their replies
 * (prefix + payload) built in another shared buffer and sent with one {@code send} (payloads
 * over 32 KiB go out with {@code writev} from where they were read, as ours and C do). No pipeline,
 * no outbound buffer, no buffer allocated per read: what is left of Netty is the loop, its JNI
 * calls and its buffer classes. It measures how much of the product's cost per read is Netty's
 * channel (compare {@link NettyEchoServer}, the same work on channels).
 *
 * <p>Level-triggered, one read per readiness event. A connection keeps a buffer of its own only
 * for an incomplete frame or for replies the socket did not take; with replies waiting it waits
 * for {@code EPOLLOUT} and is not read, so a peer that does not read stops being read. Control
 * frames are bad frames here. One event loop by default.
 *
 * <p>Run: {@code java -cp bench-tools/target/bench-tools.jar dev.unixsocket.bench.HandleEchoServer --path P};
 * prints {@code listening on P} when ready, stops on SIGINT/SIGTERM.
 */
public final class HandleEchoServer implements AutoCloseable {

  /** The most one read takes into the shared buffer; a larger frame is gathered over reads. */
  static final int READ_MAX = 256 * 1024;
  /** Larger payloads are sent from where they were read; smaller ones are copied (as ours does). */
  static final int COPY_MAX = 32 * 1024;
  /**
   * A connection's own buffers (an incomplete frame, unsent replies) come from the pool, whose
   * thread cache keeps buffers up to 256 KiB here as in {@code uds} (see {@link #main}): new direct
   * memory is zeroed by the JDK, and at 64 KiB x 100 x 1 a fresh buffer per frame cost 0.09x C.
   */
  private static final ByteBufAllocator OWN = PooledByteBufAllocator.DEFAULT;
  /** Level-triggered: a connection with bytes left unread is reported again by the next wait. */
  private static final EpollIoOps READ = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);

  private final MultiThreadIoEventLoopGroup group;
  /** What accepts: a listener handle, or Netty's server channel. */
  private final AutoCloseable acceptor;
  private final Path socketFile;

  private HandleEchoServer(MultiThreadIoEventLoopGroup group, AutoCloseable acceptor, Path socketFile) {
    this.group = group;
    this.acceptor = acceptor;
    this.socketFile = socketFile;
  }

  /** Binds {@code path} (removing a stale socket file there) and serves until {@link #close()}. */
  public static HandleEchoServer start(String path, Framing framing, String prefix, int threads, int maxFrame)
      throws Exception {
    return start(path, framing, prefix, threads, maxFrame, false);
  }

  /**
   * As {@link #start(String, Framing, String, int, int)}; with {@code acceptByChannel}, connections
   * are accepted by Netty's server channel as usual, and each accepted channel, which never reads,
   * is deregistered from its loop and its descriptor registered there as a handle: how a server
   * could keep a channel's accepting and admission and leave only the reads and writes to handles.
   */
  public static HandleEchoServer start(String path, Framing framing, String prefix, int threads, int maxFrame,
      boolean acceptByChannel) throws Exception {
    Epoll.ensureAvailability();
    Path file = Path.of(path);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
        throw new IOException(path + " exists and is not a socket");
      }
      Files.delete(file); // a baseline: no live-server check, the bench script owns the path
    }
    MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
        new DefaultThreadFactory("handle-echo", false), EpollIoHandler.newFactory());
    byte[] prefixBytes = prefix.getBytes(StandardCharsets.UTF_8);
    if (acceptByChannel) {
      try {
        Channel server = new ServerBootstrap()
            .group(group)
            .channel(EpollServerDomainSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            // Never read by the channel: its bytes are the handle's from the first.
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
              @Override
              protected void initChannel(EpollDomainSocketChannel ch) {
                Socket socket = (Socket) ch.fd();
                IoEventLoop loop = (IoEventLoop) ch.eventLoop();
                ch.deregister().addListener(f -> serve(loop, new Connection(socket, framing, prefixBytes, maxFrame)));
              }
            })
            .bind(new DomainSocketAddress(path)).sync().channel();
        return new HandleEchoServer(group, () -> server.close().awaitUninterruptibly(5, TimeUnit.SECONDS), file);
      } catch (Exception e) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        throw e;
      }
    }
    Socket socket = Socket.newSocketDomain();
    try {
      socket.bind(new DomainSocketAddress(path));
      socket.listen(4096);
      Listener listener = new Listener(socket, group, framing, prefixBytes, maxFrame);
      IoRegistration registration = group.next().register(listener).sync().getNow();
      registration.submit(EpollIoOps.EPOLLIN);
      return new HandleEchoServer(group, listener, file);
    } catch (Exception e) {
      socket.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      acceptor.close();
    } catch (Exception ignored) {
      // best effort
    }
    // The loops' shutdown closes the handles still registered: the connections.
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socketFile);
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static void serve(IoEventLoop loop, Connection connection) {
    loop.register(connection).addListener(f -> {
      if (f.isSuccess()) {
        connection.registered((IoRegistration) f.getNow());
      } else {
        connection.close();
      }
    });
  }

  /** Accepts every pending connection and registers each with the next loop of the group. */
  static final class Listener implements EpollIoHandle {
    private final Socket socket;
    private final MultiThreadIoEventLoopGroup group;
    private final Framing framing;
    private final byte[] prefix;
    private final int maxFrame;
    private final byte[] peerAddress = new byte[Socket.UDS_SUN_PATH_SIZE + 2];

    Listener(Socket socket, MultiThreadIoEventLoopGroup group, Framing framing, byte[] prefix, int maxFrame) {
      this.socket = socket;
      this.group = group;
      this.framing = framing;
      this.prefix = prefix;
      this.maxFrame = maxFrame;
    }

    @Override
    public FileDescriptor fd() {
      return socket;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
      for (;;) {
        int fd;
        try {
          fd = socket.accept(peerAddress); // accept4(SOCK_NONBLOCK | SOCK_CLOEXEC); -1 when none is left
        } catch (IOException e) {
          System.err.println("handle-echo: accept: " + e.getMessage());
          return;
        }
        if (fd < 0) {
          return;
        }
        serve(group.next(), new Connection(new Socket(fd), framing, prefix, maxFrame));
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /**
   * Buffers one event loop's connections share: a connection reads into {@code in} and builds its
   * replies in {@code out}, and keeps buffers of its own only for an incomplete frame or for
   * replies the socket did not take, as the C echo does. Idle connections hold no buffer.
   */
  static final class LoopBuffers {
    private static final FastThreadLocal<LoopBuffers> OF_THREAD = new FastThreadLocal<>() {
      @Override
      protected LoopBuffers initialValue() {
        return new LoopBuffers();
      }
    };
    final ByteBuf in = Unpooled.directBuffer(READ_MAX, READ_MAX);
    final ByteBuf out = Unpooled.directBuffer(2 * READ_MAX);
    final IovArray iov = new IovArray();
    final FrameSpan span = new FrameSpan();

    static LoopBuffers get() {
      return OF_THREAD.get();
    }
  }

  /** One accepted connection: reads, finds frames, sends their replies. Runs on its loop only. */
  static final class Connection implements EpollIoHandle {
    private final Socket socket;
    private final Framing framing;
    private final byte[] prefix;
    private final int maxFrame;
    private LoopBuffers buffers;
    private IoRegistration registration;
    /** An incomplete frame, kept across reads; null between frames. */
    private ByteBuf partial;
    private int searched;
    /** Replies the socket has not taken yet; null when all went. */
    private ByteBuf unsent;
    private boolean closed;

    Connection(Socket socket, Framing framing, byte[] prefix, int maxFrame) {
      this.socket = socket;
      this.framing = framing;
      this.prefix = prefix;
      this.maxFrame = maxFrame;
    }

    void registered(IoRegistration registration) {
      this.registration = registration;
      this.buffers = LoopBuffers.get();
      registration.submit(READ);
    }

    @Override
    public FileDescriptor fd() {
      return socket;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
      EpollIoOps ops = ((EpollIoEvent) event).ops();
      try {
        if (unsent != null) {
          if (ops.contains(EpollIoOps.EPOLLOUT) && sendUnsent()) {
            registration.submit(READ);
          }
          return; // not reading while replies wait: a peer that does not read stops being read
        }
        read();
      } catch (BadFrameException e) {
        System.err.println("handle-echo: fd " + socket.intValue() + " sent a " + e.getMessage() + ": closing it");
        close();
      } catch (IOException e) {
        close();
      }
    }

    private void read() throws IOException {
      ByteBuf bytes;
      if (partial == null) {
        bytes = buffers.in.clear();
      } else if (partial.capacity() <= READ_MAX && partial.readableBytes() <= READ_MAX / 4) {
        // The tail of a pipelined stream: back in front of a full-size read in the shared buffer.
        // Reading after it in a small buffer of its own made every later read small as well.
        bytes = buffers.in.clear().writeBytes(partial);
        partial.release();
        partial = null;
      } else {
        // A large frame under way, or the buffer of a connection that sends them: room for all
        // of the frame (length framing says how much), so that it is read in large pieces and
        // not copied again each time the buffer would grow.
        bytes = partial;
        bytes.ensureWritable(Math.max(READ_MAX / 4, missing(bytes)));
      }
      int n = socket.recvAddress(bytes.memoryAddress(), bytes.writerIndex(), bytes.capacity());
      if (n <= 0) {
        keepIncomplete(bytes);
        if (n < 0) { // end of stream
          close();
        }
        return;
      }
      bytes.writerIndex(bytes.writerIndex() + n);
      ByteBuf out = buffers.out.clear();
      FrameSpan span = buffers.span;
      while (framing.find(bytes, maxFrame, searched, span)) {
        searched = 0;
        if (span.control != null) {
          throw new BadFrameException("control frame " + span.control + " where none is expected");
        }
        framing.writeHeader(out, prefix.length + span.payloadLength);
        out.writeBytes(prefix);
        if (span.payloadLength > COPY_MAX && unsent == null) {
          sendWithPayload(out, bytes, span.payloadIndex, span.payloadLength);
        } else {
          out.writeBytes(bytes, span.payloadIndex, span.payloadLength);
        }
        framing.writeTrailer(out);
        bytes.skipBytes(span.frameLength);
      }
      searched = span.searched;
      if (out.isReadable()) {
        if (unsent == null) {
          send(out);
        } else {
          unsent.writeBytes(out);
        }
      }
      keepIncomplete(bytes);
    }

    /**
     * Sends the replies so far and a large payload from where it was read, with one {@code writev}
     * (no copy, as the C echo does); what the socket does not take is copied to {@link #unsent}.
     */
    private void sendWithPayload(ByteBuf out, ByteBuf bytes, int index, int length) throws IOException {
      IovArray iov = buffers.iov;
      int at = index;
      int left = length;
      while (out.isReadable() || left > 0) {
        iov.clear();
        if (out.isReadable()) {
          iov.add(out, out.readerIndex(), out.readableBytes());
        }
        if (left > 0) {
          iov.add(bytes, at, left);
        }
        long n = socket.writevAddresses(iov.memoryAddress(0), iov.count());
        if (n <= 0) {
          unsent = OWN.directBuffer(out.readableBytes() + left);
          unsent.writeBytes(out).writeBytes(bytes, at, left);
          registration.submit(EpollIoOps.EPOLLOUT);
          break;
        }
        int fromOut = (int) Math.min(n, out.readableBytes());
        out.skipBytes(fromOut);
        at += (int) (n - fromOut);
        left -= (int) (n - fromOut);
      }
      out.clear();
    }

    /** Bytes still to come of the length-framed frame at the start of {@code bytes}; 0 if not known. */
    private int missing(ByteBuf bytes) {
      if (framing != Framing.LENGTH || bytes.readableBytes() < 4 || bytes.getByte(bytes.readerIndex()) < 0) {
        return 0; // not length framing, header incomplete, or a control frame (top bit set)
      }
      long frame = 4 + bytes.getUnsignedInt(bytes.readerIndex()); // a header over max-frame was refused
      return (int) Math.max(0, Math.min(frame, 4L + maxFrame) - bytes.readableBytes());
    }

    /**
     * Keeps what is left of an incomplete frame. A buffer of the connection's own that outgrew the
     * shared one is kept even when empty: a connection that sends large frames sends more, and a
     * new buffer each time is new memory the JDK zeroes (256 KiB x 4 x 1: 0.6x C).
     */
    private void keepIncomplete(ByteBuf bytes) {
      if (bytes == partial) {
        if (partial.isReadable() || partial.capacity() > READ_MAX) {
          partial.discardReadBytes();
        } else {
          partial.release();
          partial = null;
        }
      } else if (bytes.isReadable()) {
        partial = OWN.directBuffer(Math.max(4096, Math.max(2 * bytes.readableBytes(), bytes.readableBytes() + missing(bytes))));
        partial.writeBytes(bytes);
      }
    }

    private void send(ByteBuf out) throws IOException {
      while (out.isReadable()) {
        int n = socket.sendAddress(out.memoryAddress(), out.readerIndex(), out.writerIndex());
        if (n <= 0) {
          unsent = OWN.directBuffer(out.readableBytes());
          unsent.writeBytes(out);
          registration.submit(EpollIoOps.EPOLLOUT);
          return;
        }
        out.skipBytes(n);
      }
    }

    /** Sends what waited; true when all of it went. */
    private boolean sendUnsent() throws IOException {
      while (unsent.isReadable()) {
        int n = socket.sendAddress(unsent.memoryAddress(), unsent.readerIndex(), unsent.writerIndex());
        if (n <= 0) {
          return false;
        }
        unsent.skipBytes(n);
      }
      unsent.release();
      unsent = null;
      return true;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (registration != null) {
        registration.cancel();
      }
      if (partial != null) {
        partial.release();
        partial = null;
      }
      if (unsent != null) {
        unsent.release();
        unsent = null;
      }
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing left to do
      }
    }
  }

  /** The command line of {@link #main}. */
  @Command(name = "handle-echo", mixinStandardHelpOptions = true,
      description = "Baseline echo server on Netty's event loop without channels (epoll IoHandles).")
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

    @Option(names = "--accept-by-channel",
        description = "Accept with Netty's server channel, then move each connection to a handle.")
    boolean acceptByChannel;

    @Override
    public Integer call() throws Exception {
      HandleEchoServer server;
      try {
        server = start(path, framing, prefix, threads, maxFrame, acceptByChannel);
      } catch (Exception e) {
        System.err.println("handle-echo: cannot serve " + path + ": " + BenchCommand.describe(e));
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        stopped.countDown();
      }, "handle-echo-stop"));
      System.out.println("listening on " + path + " (netty epoll handles, no channels, " + framing.label()
          + " framing, " + threads + " event loop" + (threads == 1 ? "" : "s") + ")");
      System.out.flush();
      stopped.await();
      return 0;
    }
  }

  public static void main(String[] args) {
    // As uds's launcher does, before Netty's allocator loads: its thread cache keeps up to 256 KiB.
    if (System.getProperty("io.netty.allocator.maxCachedBufferCapacity") == null) {
      System.setProperty("io.netty.allocator.maxCachedBufferCapacity", "262144");
    }
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
