package dev.unixsocket.server;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: every frame is answered by exactly one frame, in order. With the echo
 * handler the work happens in the Netty pipeline ({@link EchoHandler}); with the event-bus
 * handler here: frames are decoded, forwarded, and their replies put back in order
 * ({@link OrderedReplies}). Also: admission-time peer, idle tracking, closing on oversize,
 * stop or half-close. Confined to the connection's event loop.
 */
final class ServerConnection {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final NetSocket socket;
  private final long id;
  private final ListenerVerticle listener;
  /** Event-bus handler only, like {@link #replies}. */
  private final FrameDecoder decoder;
  /** Event-bus handler only (null with echo, whose state lives in its pipeline handlers). */
  private final OrderedReplies replies;
  /** The peer, looked up once when first needed (SO_PEERCRED is a system call). */
  private Peer peer;
  /** When the last complete frame arrived (or the connection opened), for the idle timeout. */
  long lastFrameNanos;
  private boolean pausedForReplies;
  /** Event-bus handler: no more reading; close when the last reply is written. */
  private boolean closing;
  private boolean closed;

  ServerConnection(NetSocket socket, long id, ListenerVerticle listener, Peer peer) {
    this.socket = socket;
    this.peer = peer;
    this.id = id;
    this.listener = listener;
    boolean forwarding = listener.forwarder() != null;
    this.decoder = forwarding ? listener.framing().decoder(listener.options().getMaxFrame()) : null;
    this.replies = forwarding ? new OrderedReplies(this) : null;
    this.lastFrameNanos = System.nanoTime();
  }

  void start() {
    if (replies == null) {
      // Backpressure lives in the pipeline too (EchoHandler: the channel's write-buffer water marks).
      startEchoInPipeline((NetSocketInternal) socket);
      // Graceful stop: close() flushes the replies already written, then closes.
      socket.shutdownHandler(v -> socket.close());
    } else {
      socket.handler(this::onData);
      watchHalfClose((NetSocketInternal) socket);
      // Graceful stop: stop reading, and close once the handlers have answered what was read.
      socket.shutdownHandler(v -> closeWhenAnswered());
      // Backpressure: a peer that does not read its replies stops being read, instead of growing our queue.
      socket.setWriteQueueMaxSize(listener.options().getMaxQueuedBytes());
      socket.drainHandler(v -> resumeIfAllowed());
    }
    socket.exceptionHandler(e -> log.debug("{}: {}", name(), e.toString()));
    socket.closeHandler(v -> {
      closed = true;
      listener.closed(this);
    });
  }

  /**
   * Echo runs inside Netty's pipeline, ahead of Vert.x's handler (see {@link EchoHandler}): the
   * decoder and the echo handler go first, so reads never reach Vert.x's copy-per-read path.
   */
  private void startEchoInPipeline(NetSocketInternal internal) {
    Channel channel = internal.channelHandlerContext().channel();
    int max = listener.options().getMaxQueuedBytes();
    channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(Math.max(1, max / 2), max));
    ChannelPipeline pipeline = channel.pipeline();
    pipeline.addFirst("uds-echo", new EchoHandler(this, listener.framing(), listener.nettyPrefix(), listener.stats()));
    pipeline.addFirst("uds-frames", listener.framing().nettyDecoder(listener.options().getMaxFrame()));
  }

  /**
   * A peer that shuts down its sending side ({@code printf x | socat - UNIX-CONNECT:...}) still
   * waits for its replies: keep the channel half-open and close once the handlers have answered.
   * Netty would otherwise close on end of input, before the event-bus replies come back.
   */
  private void watchHalfClose(NetSocketInternal internal) {
    Channel channel = internal.channelHandlerContext().channel();
    channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    channel.pipeline().addFirst("uds-half-close", new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
          closeWhenAnswered();
        }
        ctx.fireUserEventTriggered(evt);
      }
    });
  }

  /** Reads no more; closes (flushing what was written) as soon as every frame read has its reply. */
  private void closeWhenAnswered() {
    closing = true;
    socket.pause();
    if (replies.pending() == 0) {
      socket.close();
    }
  }

  /** Built only when logged: an idle connection should not carry its own strings. */
  String name() {
    return listener.path() + " conn#" + id + peer();
  }

  Peer peer() {
    if (peer == null) {
      peer = Peer.of(socket);
    }
    return peer;
  }

  int maxFrame() {
    return listener.options().getMaxFrame();
  }

  OrderedReplies replies() {
    return replies;
  }

  long id() {
    return id;
  }

  NetSocket socket() {
    return socket;
  }

  boolean isClosed() {
    return closed;
  }

  /** Event-bus handler only: the echo handler runs in the pipeline and never reaches here. */
  private void onData(Buffer chunk) {
    if (closing) {
      return; // after an oversize frame or a stop: nothing more is read
    }
    listener.stats().bytesIn.add(chunk.length());
    forward(chunk);
  }

  private void forward(Buffer chunk) {
    int before = replies.pending();
    try {
      decoder.decode(chunk, frame -> listener.forwarder().forward(frame, this, replies.next()));
    } catch (FrameTooLargeException e) {
      closeOversize(e);
      return;
    }
    if (replies.pending() != before) {
      lastFrameNanos = System.nanoTime();
      listener.stats().framesIn.add(replies.pending() - before);
    }
    if (replies.pending() >= listener.options().getMaxInFlight() && !pausedForReplies) {
      pausedForReplies = true;
      socket.pause();
    }
  }

  /** Called by {@link OrderedReplies} with the replies now due, in frame order. */
  void writeReplies(Buffer out, int frames) {
    listener.stats().framesOut.add(frames);
    write(out);
    if (closing) {
      if (replies.pending() == 0) {
        socket.close();
      }
      return;
    }
    if (pausedForReplies && replies.pending() < listener.options().getMaxInFlight()) {
      pausedForReplies = false;
      resumeIfAllowed();
    }
  }

  private void write(Buffer out) {
    if (out.length() == 0 || closed) {
      return;
    }
    listener.stats().bytesOut.add(out.length());
    socket.write(out);
    if (socket.writeQueueFull()) {
      socket.pause();
    }
  }

  private void resumeIfAllowed() {
    if (!closing && !pausedForReplies && !socket.writeQueueFull()) {
      socket.resume();
    }
  }

  /** Event-bus handler: the frames read before the bad one still get their replies, then it closes. */
  private void closeOversize(FrameTooLargeException e) {
    listener.stats().closedOversize.increment();
    log.warn("{}: closing connection: {}", name(), e.getMessage());
    closeWhenAnswered();
  }

  void closeOversize(String reason) {
    listener.stats().closedOversize.increment();
    log.warn("{}: closing connection: {}", name(), reason);
    socket.close();
  }

  /** Closes a connection that completed no frame within the idle timeout. */
  void closeIdle(long idleSeconds) {
    listener.stats().closedIdle.increment();
    log.info("{}: closing connection: no complete frame for {} s (idle timeout)", name(), idleSeconds);
    socket.close();
  }
}
