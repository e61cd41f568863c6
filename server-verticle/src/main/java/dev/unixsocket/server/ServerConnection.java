package dev.unixsocket.server;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: cuts its bytes into frames and answers each frame with exactly one
 * frame, in order. All replies ready after one read go out as one write (one syscall, not one
 * per frame). Confined to the connection's event loop.
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
    socket.setWriteQueueMaxSize(listener.options().getMaxQueuedBytes());
    if (replies == null) {
      startEchoInPipeline((NetSocketInternal) socket);
    } else {
      socket.handler(this::onData);
    }
    // Backpressure: a peer that does not read its replies stops being read, instead of growing our queue.
    socket.drainHandler(v -> resumeIfAllowed());
    // Graceful stop: close() flushes the replies already written, then closes.
    socket.shutdownHandler(v -> socket.close());
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
    if (!pausedForReplies && !socket.writeQueueFull()) {
      socket.resume();
    }
  }

  private void closeOversize(FrameTooLargeException e) {
    closeOversize(e.getMessage());
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
