package dev.unixsocket.benchmarks;

import dev.unixsocket.wire.FrameDecoder;
import dev.unixsocket.wire.FrameSpan;
import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The frame codec alone: decoding a read of many frames (whole frames are slices, so the cost
 * should not grow with the payload), decoding one frame split over several reads (copied once),
 * finding frames in place in a Netty buffer (the server's path), and encoding with the echo prefix.
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

  /** 64 frames back to back, as one read would bring them. */
  private Buffer manyFrames;
  /** One frame cut into reads of at most 16 KiB. */
  private Buffer[] splitFrame;
  private Buffer payload;
  private final Buffer prefix = Buffer.buffer("echo:");
  private ByteBuf manyFramesByteBuf;
  private final FrameSpan span = new FrameSpan();

  @Setup
  public void setUp() {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ('a' + i % 26); // no newline: valid under both framings
    }
    payload = Buffer.buffer(bytes);
    manyFrames = Buffer.buffer();
    int count = size <= 64 ? 64 : 4;
    for (int i = 0; i < count; i++) {
      framing.encode(payload, manyFrames);
    }
    manyFramesByteBuf = Unpooled.directBuffer(manyFrames.length()).writeBytes(manyFrames.getBytes());
    Buffer one = framing.encode(payload);
    int pieces = (one.length() + 16383) / 16384;
    splitFrame = new Buffer[pieces];
    for (int i = 0; i < pieces; i++) {
      splitFrame[i] = one.getBuffer(i * 16384, Math.min(one.length(), (i + 1) * 16384));
    }
  }

  @Benchmark
  public void decodeWholeFrames(Blackhole bh) {
    FrameDecoder decoder = framing.decoder(Framing.DEFAULT_MAX_FRAME);
    decoder.decode(manyFrames, bh::consume);
  }

  @Benchmark
  public void decodeSplitFrame(Blackhole bh) {
    FrameDecoder decoder = framing.decoder(Framing.DEFAULT_MAX_FRAME);
    for (Buffer piece : splitFrame) {
      decoder.decode(piece, bh::consume);
    }
  }

  /** The server's way: find each frame in place in a Netty buffer, no slice, no allocation. */
  @Benchmark
  public int findWholeFrames() {
    ByteBuf in = manyFramesByteBuf.duplicate();
    int total = 0;
    while (framing.find(in, Framing.DEFAULT_MAX_FRAME, 0, span)) {
      total += in.getByte(span.payloadIndex) + span.payloadLength;
      in.skipBytes(span.frameLength);
    }
    return total;
  }

  @Benchmark
  public Buffer encodeWithPrefix() {
    Buffer out = Buffer.buffer(size + 16);
    framing.encode(prefix, payload, out);
    return out;
  }
}
