package dev.unixsocket.wire;

import io.vertx.core.buffer.Buffer;

import java.util.function.Consumer;

/**
 * Cuts a byte stream into frames. Chunks may split a frame at any byte or hold many frames;
 * each complete payload is handed to the consumer as soon as its last byte arrives, as a slice
 * of the chunk where possible (no copy). Not thread-safe: one decoder per connection, fed from
 * that connection's event loop.
 */
public interface FrameDecoder {

  /**
   * Feeds the next chunk of the stream.
   *
   * @throws FrameTooLargeException when a frame announces or reaches more than max-frame bytes;
   *     the stream is then unusable and the connection should be closed
   */
  void decode(Buffer chunk, Consumer<Buffer> frames);

  /** Bytes received that do not form a complete frame yet. */
  int buffered();
}
