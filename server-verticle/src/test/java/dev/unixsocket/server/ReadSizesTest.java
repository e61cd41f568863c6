package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a connection reads while a peer keeps sending (issue 11, bench/NOTES.md): read buffers never
 * grow past what the pooled allocator's thread cache keeps (32 KiB; larger ones came from the arena
 * and churned its chunks), and a readiness event is read until the socket is drained, up to 16
 * buffers (with 1, every 32 KiB cost an epoll wake-up and a flush of its own).
 */
class ReadSizesTest {

  private static final int THREAD_CACHE_MAX = 32 * 1024;

  @Test
  void aBusyConnectionReadsUpToSixteenFullBuffersOfAtMost32KiBPerEvent() {
    EmbeddedChannel channel = new EmbeddedChannel();
    try {
      RecvByteBufAllocator.Handle handle = ConnectionGroup.receiveSizes().newHandle();
      int largest = 0;
      for (int event = 0; event < 20; event++) { // long enough for the sizes to grow to their maximum
        handle.reset(channel.config());
        int reads = 0;
        do {
          ByteBuf buffer = handle.allocate(PooledByteBufAllocator.DEFAULT);
          largest = Math.max(largest, buffer.capacity());
          handle.attemptedBytesRead(buffer.writableBytes());
          handle.lastBytesRead(buffer.writableBytes()); // the socket filled it: there may be more
          handle.incMessagesRead(1);
          buffer.release();
          reads++;
        } while (handle.continueReading() && reads < 100);
        handle.readComplete();
        assertThat(reads).as("reads in readiness event %d, each buffer filled", event).isEqualTo(16);
      }
      assertThat(largest).isEqualTo(THREAD_CACHE_MAX);
    } finally {
      channel.finishAndReleaseAll();
    }
  }
}
