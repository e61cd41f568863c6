package dev.unixsocket.server;

import dev.unixsocket.wire.FrameSpan;
import dev.unixsocket.wire.Framing;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.SystemPropertyUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The connections served by one event loop. The {@link Acceptor} hands each accepted channel to a
 * group; the group sets up its pipeline (one handler, the connection), or on epoll with the echo
 * handler serves its descriptor without the channel ({@link DirectEchoConnection}); it keeps
 * the open connections in a list for the idle timeout and for a graceful stop, and owns a Vert.x
 * context on the same event loop so that event-bus requests and their replies stay on the
 * connection's thread. Everything but {@link #adopt} runs on that event loop.
 */
final class ConnectionGroup {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGroup.class);
  /**
   * Read buffers no larger than the pooled allocator's thread cache takes (32 KiB unless
   * {@code io.netty.allocator.maxCachedBufferCapacity} says otherwise; {@code uds} sets 256 KiB):
   * larger reads bypass the cache, so every read buffer came from the arena, and the reply slices
   * that keep read buffers alive until written made a 4 MiB chunk fill past a quarter and empty
   * again every few hundred frames (64 KiB x 4 x 4): each time the arena freed the chunk and
   * allocated a fresh one, zeroed and page-faulted in (bench/NOTES.md, "The 64 KiB cliff"). Within
   * the cache, larger is cheaper: a receive call costs about as much as copying several KiB, and a
   * Unix socket can hold a few hundred KiB for one read, so frames of 16 KiB and more take a quarter
   * to a half of the receive calls of 64 KiB reads (bench/NOTES.md, "256 KiB reads").
   */
  private static final int MAX_READ =
      Math.max(4096, Math.min(256 * 1024, SystemPropertyUtil.getInt("io.netty.allocator.maxCachedBufferCapacity", 32 * 1024)));
  /**
   * Up to 16 reads per readiness event, as Netty gives a stream channel by default: an allocator
   * set on the config keeps its own limit, which is 1 unless set, and with 1 the server read one
   * buffer per epoll wake-up and flushed after it (16 KiB x 1 x 16: 0.4-0.6 epoll_wait per frame).
   * Stateless and shared: Netty's default makes one per channel.
   */
  private static final RecvByteBufAllocator RECEIVE_SIZES =
      new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ).maxMessagesPerRead(16);
  /**
   * Netty's pooled allocator rather than its 4.2 default (adaptive): the echo copies each small
   * payload and the prefix into the reply batch, and the adaptive buffers do such copies through
   * NIO {@code ByteBuffer.put} (JFR, 64 B x 1 x 128: half the event loop's samples in
   * {@code writeBytes}); the pooled ones copy between addresses. Server CPU per message there
   * went from about 300 ns to 210-270 ns (C: 140 ns).
   */
  private static final ByteBufAllocator BUFFERS = PooledByteBufAllocator.DEFAULT;

  private final ContextInternal context;
  private final EventLoop loop;
  private final ServerOptions options;
  private final String path;
  private final ServerStats stats;
  /** The echo prefix: unpooled, shared read-only by the group's connections. */
  private final ByteBuf prefix;
  /** The same bytes, for copies by address. */
  private final byte[] prefixBytes;
  /** One instance for every connection: it is immutable. */
  private final WriteBufferWaterMark waterMark;
  /** Event-bus handler only. */
  private final EventBusForwarder forwarder;

  /** Shared by the group's connections, which all run on its event loop. */
  private final FrameSpan span = new FrameSpan();
  private ServerConnection first;
  private ScheduledFuture<?> idleTask;
  private Promise<Void> drained;
  /** A graceful stop or a takeover is under way. */
  private boolean draining;
  /** The drain timeout has passed: connections accepted now are only answered and closed. */
  private boolean drainExpired;
  /** Asked when a peer sends TAKEOVER: null to accept, else the reason for refusing. */
  private final java.util.function.Function<Peer, String> takeovers;

  /** The largest buffer the pooled allocator's thread cache keeps: reads and reply batches stay within it. */
  static int cachedBufferMax() {
    return MAX_READ;
  }

  /** The allocator of the connections' read and reply buffers. */
  static ByteBufAllocator buffers() {
    return BUFFERS;
  }

  /** How the connections size their reads (shared: it is stateless; each channel gets a handle). */
  static RecvByteBufAllocator receiveSizes() {
    return RECEIVE_SIZES;
  }

  ConnectionGroup(ContextInternal context, ServerOptions options, String path, ServerStats stats, ByteBuf prefix,
      MeterRegistry registry, java.util.function.Function<Peer, String> takeovers) {
    this.takeovers = takeovers;
    this.context = context;
    this.loop = context.nettyEventLoop();
    this.options = options;
    this.path = path;
    this.stats = stats;
    this.prefix = prefix;
    this.prefixBytes = ByteBufUtil.getBytes(prefix);
    int max = options.getMaxQueuedBytes();
    this.waterMark = new WriteBufferWaterMark(Math.max(1, max / 2), max);
    this.forwarder = options.getHandler() == FrameHandler.EVENTBUS
        ? new EventBusForwarder(context.owner().eventBus(), this, registry)
        : null;
    if (options.getIdleTimeoutSeconds() > 0) {
      long period = Math.max(250, options.getIdleTimeoutSeconds() * 1000L / 4);
      idleTask = loop.scheduleAtFixedRate(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Called on the acceptor's thread with a channel that passed admission (only to take the server
   * over, if {@code takeoverOnly} is not null): sets up its pipeline and registers it with this
   * group's event loop, where its handlers then run.
   */
  void adopt(Channel channel, long id, Peer peer, Acceptor.Refusal takeoverOnly) {
    UnusedAddresses.drop(channel);
    if (forwarder == null && DirectEchoConnection.usable(channel, loop)) {
      DirectEchoConnection.serve(this, (IoEventLoop) loop, channel, id, peer, takeoverOnly);
      return;
    }
    ChannelConfig config = channel.config();
    config.setRecvByteBufAllocator(RECEIVE_SIZES);
    config.setAllocator(BUFFERS);
    config.setWriteBufferWaterMark(waterMark);
    ServerConnection connection;
    if (forwarder != null) {
      config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      connection = new ForwardingConnection(this, id, peer);
    } else {
      connection = new EchoConnection(this, id, peer);
    }
    connection.takeoverOnly = takeoverOnly;
    channel.pipeline().addLast(connection);
    loop.register(channel).addListener(f -> {
      if (!f.isSuccess()) {
        log.warn("{} conn#{}: cannot register the connection: {}", path, id, f.cause().toString());
        stats.open.decrementAndGet();
        channel.unsafe().closeForcibly();
      }
    });
  }

  void added(ServerConnection connection) {
    connection.next = first;
    if (first != null) {
      first.previous = connection;
    }
    first = connection;
    if (drainExpired) {
      connection.closeWhenAnswered(); // accepted after the drain timeout
    }
  }

  void removed(ServerConnection connection) {
    if (connection.previous != null) {
      connection.previous.next = connection.next;
    } else if (first == connection) {
      first = connection.next;
    }
    if (connection.next != null) {
      connection.next.previous = connection.previous;
    }
    connection.previous = null;
    connection.next = null;
    stats.open.decrementAndGet();
    if (drained != null && first == null) {
      drained.tryComplete();
    }
  }

  EventLoop loop() {
    return loop;
  }

  /** The Vert.x context on this group's event loop: event-bus requests sent from it are answered here. */
  ContextInternal context() {
    return context;
  }

  /** Connections note when their frames arrive: only with an idle timeout (a clock read per read otherwise wasted). */
  boolean idleClock() {
    return idleTask != null;
  }

  /** The event-bus handler; null with the echo handler. */
  EventBusForwarder forwarder() {
    return forwarder;
  }

  private void closeIdle() {
    long limit = TimeUnit.SECONDS.toNanos(options.getIdleTimeoutSeconds());
    long now = System.nanoTime();
    for (ServerConnection c = first; c != null; ) {
      ServerConnection next = c.next;
      if (now - c.lastFrameNanos > limit && (!c.closing || c.waitsForItsPeer()) && c.isOpen()) {
        c.closeIdle(options.getIdleTimeoutSeconds());
      }
      c = next;
    }
  }

  /**
   * Graceful stop (drain): peers that understand control frames get GOAWAY and are closed once
   * their DONE is read and answered; after {@code drainMs} every connection still open stops
   * reading, answers what it read and closes; after {@code hardMs} those still open (a peer that
   * does not read its replies) are closed as they are. Completes when all are closed.
   */
  Future<Void> shutdown(long drainMs, long hardMs) {
    Promise<Void> done = context.promise();
    loop.execute(() -> {
      if (idleTask != null) {
        idleTask.cancel(false);
      }
      drained = done;
      draining = true;
      each(ServerConnection::drain);
      if (first == null) {
        done.tryComplete();
        return;
      }
      ScheduledFuture<?> expire = loop.schedule(() -> {
        drainExpired = true;
        each(ServerConnection::closeWhenAnswered);
      }, drainMs, TimeUnit.MILLISECONDS);
      ScheduledFuture<?> hard = loop.schedule(() -> each(ServerConnection::forceClose), hardMs, TimeUnit.MILLISECONDS);
      done.future().onComplete(ar -> {
        expire.cancel(false);
        hard.cancel(false);
      });
    });
    return done.future();
  }

  /** Runs {@code action} on each open connection; on this group's event loop only. */
  void each(java.util.function.Consumer<ServerConnection> action) {
    for (ServerConnection c = first; c != null; ) {
      ServerConnection next = c.next;
      action.accept(c);
      c = next;
    }
  }

  boolean draining() {
    return draining;
  }

  /** A peer asked for a takeover: null when accepted, else why not. */
  String takeover(Peer peer) {
    return takeovers.apply(peer);
  }

  FrameSpan span() {
    return span;
  }

  ServerOptions options() {
    return options;
  }

  Framing framing() {
    return options.getFraming();
  }

  ByteBuf prefix() {
    return prefix;
  }

  /** The echo prefix's bytes, for copies by address ({@link DirectEchoConnection}). */
  byte[] prefixBytes() {
    return prefixBytes;
  }

  String path() {
    return path;
  }

  ServerStats stats() {
    return stats;
  }
}
