package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Framing#find}, driven the way the server drives it: bytes arrive in reads of random
 * sizes, an incomplete frame is kept and grows, each frame found is taken and skipped.
 */
class FrameFindPropertiesTest {

  private static final int MAX = 4096;

  @Property(tries = 300)
  void lengthFramesSurviveAnySplit(@ForAll("payloads") List<byte[]> payloads, @ForAll long seed) {
    assertRoundTrip(Framing.LENGTH, payloads, seed);
  }

  @Property(tries = 300)
  void lineFramesSurviveAnySplit(@ForAll("linePayloads") List<byte[]> payloads, @ForAll long seed,
      @ForAll boolean crlf) {
    // Both line endings: "\r\n" as socat and nc send from a terminal, "\n" as we write.
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      stream.appendBytes(p).appendString(crlf ? "\r\n" : "\n");
    }
    assertFrames(Framing.LINE, stream, payloads, seed);
  }

  @Property(tries = 300)
  void randomBytesGiveFramesWithinMaxOrFrameTooLarge(
      @ForAll @Size(max = 2000) byte[] garbage, @ForAll long seed, @ForAll @IntRange(min = 0, max = 64) int maxFrame) {
    for (Framing framing : Framing.values()) {
      Reader reader = new Reader(framing, maxFrame);
      try {
        for (byte[] chunk : split(garbage, new Random(seed))) {
          reader.read(chunk);
          // What is kept between reads never grows past one frame header or one line.
          assertThat(reader.kept()).isLessThanOrEqualTo(maxFrame + 4);
        }
      } catch (FrameTooLargeException expected) {
        // the connection would be closed: fine
      }
      assertThat(reader.frames).allSatisfy(f -> assertThat(f.length).isLessThanOrEqualTo(maxFrame));
    }
  }

  @Test
  void lineOfExactlyMaxFrameWithCrLfIsAFrameEvenWhenTheNewlineComesLater() {
    Reader reader = new Reader(Framing.LINE, 5);
    reader.read("abcde\r".getBytes());
    reader.read("\n".getBytes());
    assertThat(reader.frames).containsExactly("abcde".getBytes());
  }

  @Test
  void lineOverMaxFrameFailsBeforeItsNewline() {
    Reader reader = new Reader(Framing.LINE, 5);
    assertThatThrownBy(() -> reader.read("abcdefg".getBytes()))
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessage("frame of 7 bytes exceeds max-frame 5");
  }

  @Test
  void lengthHeaderOverMaxFrameFailsBeforeItsPayload() {
    Reader reader = new Reader(Framing.LENGTH, 10);
    assertThatThrownBy(() -> reader.read(new byte[] {0, 0, 0, 11}))
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessage("frame of 11 bytes exceeds max-frame 10");
  }

  @Test
  void lengthAboveTwoGigabytesIsRefusedNotNegative() {
    Reader reader = new Reader(Framing.LENGTH, Integer.MAX_VALUE);
    assertThatThrownBy(() -> reader.read(new byte[] {(byte) 0xff, 0, 0, 0}))
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessageStartingWith("frame of 4278190080 bytes");
  }

  private static void assertRoundTrip(Framing framing, List<byte[]> payloads, long seed) {
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      framing.encode(Buffer.buffer(p), stream);
    }
    assertFrames(framing, stream, payloads, seed);
  }

  private static void assertFrames(Framing framing, Buffer stream, List<byte[]> payloads, long seed) {
    Reader reader = new Reader(framing, MAX);
    for (byte[] chunk : split(stream.getBytes(), new Random(seed))) {
      reader.read(chunk);
    }
    assertThat(reader.frames).hasSameSizeAs(payloads);
    for (int i = 0; i < payloads.size(); i++) {
      assertThat(Arrays.equals(reader.frames.get(i), payloads.get(i))).as("frame %d", i).isTrue();
    }
    assertThat(reader.kept()).isZero();
  }

  /** The server's loop, on unpooled buffers: keep an incomplete frame, append each read to it. */
  private static final class Reader {
    final Framing framing;
    final int maxFrame;
    final FrameSpan span = new FrameSpan();
    final List<byte[]> frames = new ArrayList<>();
    ByteBuf partial;
    int searched;

    Reader(Framing framing, int maxFrame) {
      this.framing = framing;
      this.maxFrame = maxFrame;
    }

    void read(byte[] chunk) {
      ByteBuf data = partial == null ? Unpooled.buffer() : partial;
      data.writeBytes(chunk);
      partial = null;
      while (framing.find(data, maxFrame, searched, span)) {
        searched = 0;
        byte[] frame = new byte[span.payloadLength];
        data.getBytes(span.payloadIndex, frame);
        frames.add(frame);
        data.skipBytes(span.frameLength);
      }
      searched = span.searched;
      if (data.isReadable()) {
        partial = data;
      }
    }

    int kept() {
      return partial == null ? 0 : partial.readableBytes();
    }
  }

  private static List<byte[]> split(byte[] stream, Random random) {
    List<byte[]> chunks = new ArrayList<>();
    int pos = 0;
    while (pos < stream.length) {
      int size = 1 + random.nextInt(random.nextBoolean() ? 4 : 600);
      int end = Math.min(stream.length, pos + size);
      chunks.add(Arrays.copyOfRange(stream, pos, end));
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
