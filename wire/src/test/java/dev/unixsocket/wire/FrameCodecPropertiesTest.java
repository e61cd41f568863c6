package dev.unixsocket.wire;

import io.vertx.core.buffer.Buffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Encode, cut the stream at random points, decode: the same frames come out, whatever the cuts. */
class FrameCodecPropertiesTest {

  private static final int MAX = 4096;

  @Property(tries = 300)
  void lengthFramesSurviveAnySplit(@ForAll("payloads") List<byte[]> payloads, @ForAll long seed) {
    assertRoundTrip(Framing.LENGTH, payloads, seed);
  }

  @Property(tries = 300)
  void lineFramesSurviveAnySplit(@ForAll("linePayloads") List<byte[]> payloads, @ForAll long seed) {
    assertRoundTrip(Framing.LINE, payloads, seed);
  }

  @Property(tries = 300)
  void randomBytesNeverEscapeAsAnythingButFrameTooLarge(
      @ForAll @Size(max = 2000) byte[] garbage, @ForAll long seed, @ForAll @IntRange(min = 0, max = 64) int maxFrame) {
    for (Framing framing : Framing.values()) {
      FrameDecoder decoder = framing.decoder(maxFrame);
      List<Buffer> frames = new ArrayList<>();
      assertThatCode(() -> {
        try {
          for (Buffer chunk : split(Buffer.buffer(garbage), new Random(seed))) {
            decoder.decode(chunk, frames::add);
          }
        } catch (FrameTooLargeException expected) {
          // the connection would be closed: fine
        }
      }).doesNotThrowAnyException();
      assertThat(frames).allSatisfy(f -> assertThat(f.length()).isLessThanOrEqualTo(maxFrame));
      assertThat(decoder.buffered()).isLessThanOrEqualTo(maxFrame + 4);
    }
  }

  private static void assertRoundTrip(Framing framing, List<byte[]> payloads, long seed) {
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      framing.encode(Buffer.buffer(p), stream);
    }
    FrameDecoder decoder = framing.decoder(MAX);
    List<byte[]> decoded = new ArrayList<>();
    for (Buffer chunk : split(stream, new Random(seed))) {
      decoder.decode(chunk, f -> decoded.add(f.getBytes()));
    }
    assertThat(decoded).hasSameSizeAs(payloads);
    for (int i = 0; i < payloads.size(); i++) {
      assertThat(Arrays.equals(decoded.get(i), payloads.get(i))).as("frame %d", i).isTrue();
    }
    assertThat(decoder.buffered()).isZero();
  }

  /** Cuts a stream into chunks of random sizes, from single bytes to hundreds of bytes. */
  private static List<Buffer> split(Buffer stream, Random random) {
    List<Buffer> chunks = new ArrayList<>();
    int pos = 0;
    while (pos < stream.length()) {
      int size = 1 + random.nextInt(random.nextBoolean() ? 4 : 600);
      int end = Math.min(stream.length(), pos + size);
      // Each chunk is a copy, as a socket read would be: decoded slices must not alias the stream.
      chunks.add(stream.getBuffer(pos, end));
      pos = end;
    }
    return chunks;
  }

  @Provide
  Arbitrary<List<byte[]>> payloads() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX).list().ofMaxSize(20);
  }

  @Provide
  Arbitrary<List<byte[]>> linePayloads() {
    // No '\n' inside, and no '\r' at the end (line framing drops it by design).
    return Arbitraries.bytes().filter(b -> b != '\n' && b != '\r').array(byte[].class).ofMaxSize(MAX).list().ofMaxSize(20);
  }
}
