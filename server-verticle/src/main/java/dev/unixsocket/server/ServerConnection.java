package dev.unixsocket.server;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.vertx.core.buffer.Buffer;
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
  private final FrameDecoder decoder;
  /** Null with the echo handler: an idle echo connection carries nothing more. */
  private final OrderedReplies replies;
  /** The peer, looked up once when first needed (SO_PEERCRED is a system call). */
  private Peer peer;
  /** When the last complete frame arrived (or the connection opened), for the idle timeout. */
  long lastFrameNanos;
  private boolean pausedForReplies;
  /** Frames decoded from the current read (a field, so the decode lambda allocates nothing). */
  private int framesThisRead;
  private boolean closed;

  ServerConnection(NetSocket socket, long id, ListenerVerticle listener, Peer peer) {
    this.socket = socket;
    this.peer = peer;
    this.id = id;
    this.listener = listener;
    this.decoder = listener.framing().decoder(listener.options().getMaxFrame());
    this.replies = listener.forwarder() == null ? null : new OrderedReplies(this);
    this.lastFrameNanos = System.nanoTime();
  }

  void start() {
    socket.setWriteQueueMaxSize(listener.options().getMaxQueuedBytes());
    socket.handler(this::onData);
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

  private void onData(Buffer chunk) {
    listener.stats().bytesIn.add(chunk.length());
    if (replies == null) {
      echo(chunk);
    } else {
      forward(chunk);
    }
  }

  private void echo(Buffer chunk) {
    Framing framing = listener.framing();
    Buffer prefix = listener.prefix();
    // Sized for small frames answered in full; it grows if need be.
    Buffer out = Buffer.buffer(chunk.length() + 8 * (prefix.length() + framing.overhead()));
    framesThisRead = 0;
    try {
      decoder.decode(chunk, frame -> {
        framing.encode(prefix, frame, out);
        framesThisRead++;
      });
    } catch (FrameTooLargeException e) {
      countFrames(framesThisRead, framesThisRead);
      write(out); // answer the good frames that came before the bad one
      closeOversize(e);
      return;
    }
    if (framesThisRead > 0) {
      lastFrameNanos = System.nanoTime();
      countFrames(framesThisRead, framesThisRead);
      write(out);
    }
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
      countFrames(replies.pending() - before, 0);
    }
    if (replies.pending() >= listener.options().getMaxInFlight() && !pausedForReplies) {
      pausedForReplies = true;
      socket.pause();
    }
  }

  private void countFrames(int in, int out) {
    ServerStats stats = listener.stats();
    stats.framesIn.add(in);
    if (out > 0) {
      stats.framesOut.add(out);
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
    listener.stats().closedOversize.increment();
    log.warn("{}: closing connection: {}", name(), e.getMessage());
    socket.close();
  }

  /** Closes a connection that completed no frame within the idle timeout. */
  void closeIdle(long idleSeconds) {
    listener.stats().closedIdle.increment();
    log.info("{}: closing connection: no complete frame for {} s (idle timeout)", name(), idleSeconds);
    socket.close();
  }
}
