package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the echo turns one read into writes (issue 11, bench/NOTES.md): the replies to a read's
 * frames up to 32 KiB go out as one buffer, allocated once at the size they need (it used to start
 * at one reply and double, and each frame over 1 KiB went out as a slice between two small
 * buffers); only larger payloads go out as slices of the read. Counted on an embedded channel
 * with an allocator that records what the connection allocates.
 */
class ReplyBatchesTest {

  private static final byte[] PREFIX = ServerOptions.DEFAULT_ECHO_PREFIX.getBytes(StandardCharsets.US_ASCII);

  private final Vertx vertx = Vertx.vertx();
  private final RecordingAllocator allocator = new RecordingAllocator();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void sixteenOneKiBFramesInOneReadAreAnsweredByOneBufferThatNeverGrows() {
    EmbeddedChannel channel = echo(Framing.LENGTH);
    channel.writeInbound(frames(Framing.LENGTH, 16, 1024));

    List<ByteBuf> written = drain(channel);
    // Before: one buffer, started at 1,041 bytes and reallocated (and copied) four times.
    assertThat(written).hasSize(1);
    assertThat(allocator.capacities).as("buffers the connection allocated").hasSize(1);
    assertThat(written.get(0).capacity()).as("the batch's capacity, against the one it was allocated with")
        .isEqualTo(allocator.capacities.get(0));
    assertThat(bytes(written)).isEqualTo(replies(Framing.LENGTH, 16, 1024));
  }

  @Test
  void eightKiBFramesAreCopiedIntoTheBatchNotSentAsSlices() {
    EmbeddedChannel channel = echo(Framing.LENGTH);
    channel.writeInbound(frames(Framing.LENGTH, 3, 8192));

    List<ByteBuf> written = drain(channel);
    // Before: a slice of the read per frame between small buffers, 7 outbound entries for 3 frames.
    assertThat(written).hasSize(1);
    assertThat(allocator.capacities).hasSize(1);
    assertThat(bytes(written)).isEqualTo(replies(Framing.LENGTH, 3, 8192));
  }

  @Test
  void aReadOfMoreThanOneBatchStartsANewBufferInsteadOfGrowingOne() {
    EmbeddedChannel channel = echo(Framing.LENGTH);
    channel.writeInbound(frames(Framing.LENGTH, 64, 2048)); // ~131 KiB of replies

    List<ByteBuf> written = drain(channel);
    assertThat(written).hasSizeBetween(2, 6);
    for (int i = 0; i < written.size(); i++) {
      assertThat(written.get(i).capacity()).as("batch %d", i)
          .isEqualTo(allocator.capacities.get(i))
          .isLessThanOrEqualTo(EchoConnection.BATCH_MAX);
    }
    assertThat(bytes(written)).isEqualTo(replies(Framing.LENGTH, 64, 2048));
  }

  @Test
  void payloadsOver32KiBGoOutAsSlicesOfTheReadWithNoBufferForAnEmptyTrailer() {
    EmbeddedChannel channel = echo(Framing.LENGTH);
    channel.writeInbound(frames(Framing.LENGTH, 2, 40_000));

    List<ByteBuf> written = drain(channel);
    // Per frame: its header and prefix, then the payload itself; no buffer is started for the
    // (empty) trailer of length framing.
    assertThat(written).hasSize(4);
    assertThat(allocator.capacities).as("buffers allocated").hasSize(2);
    assertThat(written.get(1).capacity()).isEqualTo(40_000);
    assertThat(written.get(3).capacity()).isEqualTo(40_000);
    assertThat(bytes(written)).isEqualTo(replies(Framing.LENGTH, 2, 40_000));
  }

  @Test
  void lineFramingKeepsItsTrailerAfterASlicedPayload() {
    EmbeddedChannel channel = echo(Framing.LINE);
    channel.writeInbound(frames(Framing.LINE, 3, 40_000));

    assertThat(bytes(drain(channel))).isEqualTo(replies(Framing.LINE, 3, 40_000));
  }

  private EmbeddedChannel echo(Framing framing) {
    ServerOptions options = new ServerOptions().setPath("/tmp/unused.sock").setFraming(framing)
        .setMaxFrame(1 << 20).setIdleTimeoutSeconds(0);
    ByteBuf prefix = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(PREFIX)).asReadOnly();
    ConnectionGroup group = new ConnectionGroup((ContextInternal) vertx.getOrCreateContext(), options,
        options.getPath(), new ServerStats(), prefix, null, peer -> "no takeover here");
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.config().setAllocator(allocator);
    channel.pipeline().addLast(new EchoConnection(group, 1, Peer.UNKNOWN));
    allocator.capacities.clear();
    return channel;
  }

  /** {@code count} frames of {@code size} bytes, payload bytes numbered so that replies can be checked. */
  private static ByteBuf frames(Framing framing, int count, int size) {
    ByteBuf in = Unpooled.buffer();
    for (int f = 0; f < count; f++) {
      framing.writeHeader(in, size);
      in.writeBytes(payload(f, size));
      framing.writeTrailer(in);
    }
    return in;
  }

  private static byte[] replies(Framing framing, int count, int size) {
    ByteBuf out = Unpooled.buffer();
    for (int f = 0; f < count; f++) {
      framing.writeHeader(out, PREFIX.length + size);
      out.writeBytes(PREFIX).writeBytes(payload(f, size));
      framing.writeTrailer(out);
    }
    return bytes(List.of(out));
  }

  /** Letters only, so that line framing finds no newline in them. */
  private static byte[] payload(int frame, int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + (frame * 7 + i) % 26);
    }
    return b;
  }

  private static List<ByteBuf> drain(EmbeddedChannel channel) {
    List<ByteBuf> written = new ArrayList<>();
    for (Object m; (m = channel.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) m;
      if (b.isReadable()) {
        written.add(b);
      } else {
        b.release();
      }
    }
    return written;
  }

  private static byte[] bytes(List<ByteBuf> buffers) {
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf b : buffers) {
      all.writeBytes(b, b.readerIndex(), b.readableBytes());
    }
    byte[] out = new byte[all.readableBytes()];
    all.readBytes(out);
    return out;
  }

  /** Unpooled buffers, with the capacity each was allocated with, in order. */
  private static final class RecordingAllocator extends AbstractByteBufAllocator {
    final List<Integer> capacities = new ArrayList<>();

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      capacities.add(initialCapacity);
      return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }
}
