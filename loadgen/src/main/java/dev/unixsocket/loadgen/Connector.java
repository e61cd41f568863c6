package dev.unixsocket.loadgen;

import dev.unixsocket.loadgen.BenchCommand.BenchFailure;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.FileNotFoundException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Opens and closes the bench's connections to one socket path on Netty epoll, and makes and stops
 * the event loops they run on.
 */
final class Connector {

  /** Connects in progress at once: enough to be quick, few enough not to overrun the backlog. */
  private static final int CONNECT_WINDOW = 128;
  private static final long CONNECT_RETRY_MS = 5;
  private static final int CONNECT_ATTEMPTS = 2000;

  /** The connections opened, and how many could not be. */
  static final class Connected {
    final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
    volatile int failed;
    volatile String firstFailure;
  }

  private final String path;

  Connector(String path) {
    this.path = path;
  }

  /**
   * Opens {@code n} connections, at most {@link #CONNECT_WINDOW} at a time, retrying those the
   * server's backlog turns away (EAGAIN). When {@code partialOk} is false any failure ends the run.
   */
  Connected connectAll(EventLoopGroup group, int n, IntFunction<ChannelHandler> handlers, boolean partialOk)
      throws InterruptedException {
    DomainSocketAddress address = new DomainSocketAddress(path);
    Connected c = new Connected();
    Semaphore window = new Semaphore(CONNECT_WINDOW);
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      window.acquire();
      if (firstFailure.get() != null && (!partialOk || c.channels.isEmpty())) {
        window.release();
        break; // the server is not there: do not try the rest
      }
      int id = i;
      connect(group, address, () -> handlers.apply(id), 1, ch -> {
        c.channels.add(ch);
        window.release();
      }, cause -> {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, cause);
        window.release();
      });
    }
    if (!window.tryAcquire(CONNECT_WINDOW, 60, TimeUnit.SECONDS)) {
      throw new BenchFailure("connecting to " + path + " did not finish within 60 s");
    }
    c.failed = failed.get();
    Throwable cause = firstFailure.get();
    if (cause != null) {
      c.firstFailure = describeConnect(cause);
      if (!partialOk || c.channels.isEmpty()) {
        closeAll(c.channels, ch -> { });
        throw new BenchFailure("cannot connect to " + path + ": " + c.firstFailure);
      }
    }
    return c;
  }

  /** One connection; a new handler per attempt, since a failed attempt's channel keeps its handler. */
  private static void connect(EventLoopGroup group, DomainSocketAddress address, Supplier<ChannelHandler> handler,
      int attempt, Consumer<Channel> ok, Consumer<Throwable> failed) {
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(EpollDomainSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(handler.get());
    b.connect(address).addListener(f -> {
      if (f.isSuccess()) {
        ok.accept(((ChannelFuture) f).channel());
      } else if (isBacklogFull(f.cause()) && attempt < CONNECT_ATTEMPTS) {
        group.schedule(() -> connect(group, address, handler, attempt + 1, ok, failed),
            CONNECT_RETRY_MS, TimeUnit.MILLISECONDS);
      } else {
        failed.accept(f.cause());
      }
    });
  }

  private static boolean isBacklogFull(Throwable cause) {
    String m = cause.getMessage();
    return m != null && m.contains("Resource temporarily unavailable");
  }

  /** Closes the channels from their event loops, running {@code before} there first; waits a bounded time. */
  static void closeAll(List<Channel> channels, Consumer<Channel> before) throws InterruptedException {
    List<Channel> copy;
    synchronized (channels) {
      copy = new ArrayList<>(channels);
    }
    CountDownLatch closed = new CountDownLatch(copy.size());
    for (Channel ch : copy) {
      ch.eventLoop().execute(() -> {
        before.accept(ch);
        ch.close().addListener(f -> closed.countDown());
      });
    }
    closed.await(10, TimeUnit.SECONDS);
  }

  static EventLoopGroup newGroup(int threads) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench", true),
        EpollIoHandler.newFactory());
  }

  static void shutdown(EventLoopGroup group) {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static String describeConnect(Throwable cause) {
    String m = BenchCommand.describe(cause);
    if (cause instanceof FileNotFoundException || m.contains("No such file or directory")) {
      return "no such socket file (is the server running?)";
    }
    if (m.contains("Connection refused")) {
      return "connection refused (no server is listening there)";
    }
    if (m.contains("Permission denied")) {
      return "permission denied (socket file mode or --allow-uid)";
    }
    return m;
  }
}
