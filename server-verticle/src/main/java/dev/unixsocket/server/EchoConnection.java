package dev.unixsocket.server;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection served by the echo handler: every frame is answered by one frame,
 * echo-prefix + payload, in order. All replies produced from one read go out as one write
 * (one syscall, not one per frame). Runs on the connection's event loop only.
 */
final class EchoConnection {

  private static final Logger log = LoggerFactory.getLogger(EchoConnection.class);

  private final NetSocket socket;
  private final long id;
  private final String path;
  private final Framing framing;
  private final FrameDecoder decoder;
  private final Buffer prefix;
  private final int replyOverhead;

  EchoConnection(NetSocket socket, long id, String path, ServerOptions options, Buffer prefix) {
    this.socket = socket;
    this.id = id;
    this.path = path;
    this.framing = options.getFraming();
    this.decoder = framing.decoder(options.getMaxFrame());
    this.prefix = prefix;
    this.replyOverhead = prefix.length() + framing.overhead();
  }

  void start() {
    socket.handler(this::onData);
    // Backpressure: a peer that does not read its replies stops being read, instead of growing our queue.
    socket.drainHandler(v -> socket.resume());
    // Graceful stop: close() flushes the replies already written, then closes.
    socket.shutdownHandler(v -> socket.close());
    socket.exceptionHandler(e -> log.debug("{}: {}", name(), e.toString()));
  }

  /** Built only when logged: an idle connection should not carry its own strings. */
  private String name() {
    return path + " conn#" + id + Peer.of(socket);
  }

  private void onData(Buffer chunk) {
    // Sized for the common case of small frames answered in full; the buffer grows if need be.
    Buffer out = Buffer.buffer(chunk.length() + 8 * replyOverhead);
    try {
      decoder.decode(chunk, frame -> framing.encode(prefix, frame, out));
    } catch (FrameTooLargeException e) {
      if (out.length() > 0) {
        socket.write(out); // answer the good frames that came before the bad one
      }
      log.warn("{}: closing connection: {}", name(), e.getMessage());
      socket.close();
      return;
    }
    if (out.length() > 0) {
      socket.write(out);
      if (socket.writeQueueFull()) {
        socket.pause();
      }
    }
  }
}
