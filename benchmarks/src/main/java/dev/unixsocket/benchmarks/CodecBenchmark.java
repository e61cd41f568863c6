package dev.unixsocket.benchmarks;

import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.FrameSpan;
import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The frame codec alone: the cursor finding a read's many frames in place (the server's path;
 * the cost should not grow with the payload), the reader gathering one frame split over several
 * reads (a composite of the reads above 8 KiB, so not copied), and the encoder writing a reply
 * with the echo prefix.
 *
 * <p>Run: {@code mvn -q -B -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/benchmarks.jar}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

  /** Payload size: small messages and 64 KiB ones. */
  @Param({"64", "65536"})
  int size;

  @Param({"LENGTH", "LINE"})
  Framing framing;

  /** 64 small frames (or 4 large ones) back to back, as one read would bring them. */
  private ByteBuf manyFrames;
  /** One frame cut into reads of at most 16 KiB. */
  private ByteBuf[] splitFrame;
  private ByteBuf payload;
  private final ByteBuf prefix = Unpooled.copiedBuffer("echo:", java.nio.charset.StandardCharsets.US_ASCII);
  private ByteBuf reply;
  private final FrameSpan span = new FrameSpan();
  private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

  @Setup
  public void setUp() {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ('a' + i % 26); // no newline: valid under both framings
    }
    payload = Unpooled.directBuffer(size).writeBytes(bytes);
    manyFrames = Unpooled.directBuffer();
    int count = size <= 64 ? 64 : 4;
    for (int i = 0; i < count; i++) {
      framing.writeFrame(manyFrames, payload, 0, size);
    }
    ByteBuf one = Unpooled.directBuffer();
    framing.writeFrame(one, payload, 0, size);
    int pieces = (one.readableBytes() + 16383) / 16384;
    splitFrame = new ByteBuf[pieces];
    for (int i = 0; i < pieces; i++) {
      splitFrame[i] = one.slice(i * 16384, Math.min(one.readableBytes(), (i + 1) * 16384) - i * 16384);
    }
    reply = Unpooled.directBuffer(size + 16);
  }

  @TearDown
  public void tearDown() {
    manyFrames.release();
    payload.release();
    reply.release();
  }

  /** The server's way: find each frame in place in a Netty buffer, no slice, no allocation. */
  @Benchmark
  public int findWholeFrames() {
    ByteBuf in = manyFrames.duplicate();
    int total = 0;
    while (framing.find(in, Framing.DEFAULT_MAX_FRAME, 0, span)) {
      total += in.getByte(span.payloadIndex) + span.payloadLength;
      in.skipBytes(span.frameLength);
    }
    return total;
  }

  /** The client's and load generator's way: a reader per connection, reads that cut the frame. */
  @Benchmark
  public void readSplitFrame(Blackhole bh) {
    FrameReader reader = new FrameReader(framing, Framing.DEFAULT_MAX_FRAME, (data, index, length) -> bh.consume(length));
    for (ByteBuf piece : splitFrame) {
      reader.read(piece.retainedDuplicate(), alloc);
    }
  }

  /** What the echo writes per frame: header, prefix, payload, trailer. */
  @Benchmark
  public ByteBuf encodeWithPrefix() {
    ByteBuf out = reply.clear();
    framing.writeHeader(out, prefix.readableBytes() + size);
    out.writeBytes(prefix, prefix.readerIndex(), prefix.readableBytes()).writeBytes(payload, 0, size);
    framing.writeTrailer(out);
    return out;
  }
}
