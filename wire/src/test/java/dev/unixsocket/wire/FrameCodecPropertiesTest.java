package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
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
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Encode, cut the stream at random points, decode: the same frames come out, whatever the cuts.
 * Both loops over the cursor {@link Framing#find}: the {@link FrameReader} (the client, the load
 * generator), and the server's own, modelled by {@link Reader} below.
 */
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
  void randomBytesNeverEscapeAsAnythingButABadFrame(
      @ForAll @Size(max = 2000) byte[] garbage, @ForAll long seed, @ForAll @IntRange(min = 0, max = 64) int maxFrame) {
    for (Framing framing : Framing.values()) {
      List<byte[]> frames = new ArrayList<>();
      FrameReader reader = new FrameReader(framing, maxFrame, (data, index, length) -> frames.add(bytes(data, index, length)));
      assertThatCode(() -> {
        try {
          for (Buffer chunk : split(Buffer.buffer(garbage), new Random(seed))) {
            reader.read(chunk);
            assertThat(reader.buffered()).isLessThanOrEqualTo(maxFrame + 4);
          }
        } catch (BadFrameException expected) {
          // the connection would be closed: fine
        }
      }).doesNotThrowAnyException();
      assertThat(frames).allSatisfy(f -> assertThat(f.length).isLessThanOrEqualTo(maxFrame));
    }
  }

  private static void assertRoundTrip(Framing framing, List<byte[]> payloads, long seed) {
    Buffer stream = encode(framing, payloads);
    List<byte[]> decoded = new ArrayList<>();
    FrameReader reader = new FrameReader(framing, MAX, (data, index, length) -> decoded.add(bytes(data, index, length)));
    for (Buffer chunk : split(stream, new Random(seed))) {
      reader.read(chunk);
    }
    assertThat(decoded).hasSameSizeAs(payloads);
    for (int i = 0; i < payloads.size(); i++) {
      assertThat(Arrays.equals(decoded.get(i), payloads.get(i))).as("frame %d", i).isTrue();
    }
    assertThat(reader.buffered()).isZero();
  }

  /** The encoder into a Netty buffer, as the server and the load generator write. */
  private static Buffer encode(Framing framing, List<byte[]> payloads) {
    ByteBuf out = Unpooled.buffer();
    for (byte[] p : payloads) {
      framing.writeFrame(out, Unpooled.wrappedBuffer(p), 0, p.length);
    }
    return Buffer.buffer(ByteBufUtil.getBytes(out));
  }

  private static byte[] bytes(ByteBuf data, int index, int length) {
    return ByteBufUtil.getBytes(data, index, length);
  }

  // Framing.find, driven the way the server drives it: an incomplete frame is kept and grows
  // with each read, each frame found is taken in place and skipped.

  @Property(tries = 300)
  void lengthFramesAreFoundInPlaceWhateverTheReads(@ForAll("payloads") List<byte[]> payloads, @ForAll long seed) {
    // The encoder into a Vert.x buffer, as the client writes.
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      Framing.LENGTH.appendChecked(Buffer.buffer(p), stream);
    }
    assertFoundInPlace(Framing.LENGTH, stream, payloads, seed);
  }

  @Property(tries = 300)
  void lineFramesAreFoundInPlaceWhateverTheReads(@ForAll("linePayloads") List<byte[]> payloads, @ForAll long seed,
      @ForAll boolean crlf) {
    // Both line endings: "\r\n" as socat and nc send from a terminal, "\n" as we write.
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      stream.appendBytes(p).appendString(crlf ? "\r\n" : "\n");
    }
    assertFoundInPlace(Framing.LINE, stream, payloads, seed);
  }

  @Property(tries = 300)
  void findGivesFramesWithinMaxOrABadFrame(
      @ForAll @Size(max = 2000) byte[] garbage, @ForAll long seed, @ForAll @IntRange(min = 0, max = 64) int maxFrame) {
    for (Framing framing : Framing.values()) {
      Reader reader = new Reader(framing, maxFrame);
      try {
        for (Buffer chunk : split(Buffer.buffer(garbage), new Random(seed))) {
          reader.read(chunk.getBytes());
          // What is kept between reads never grows past one frame header or one line.
          assertThat(reader.kept()).isLessThanOrEqualTo(maxFrame + 4);
        }
      } catch (BadFrameException expected) {
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
  void headerWithTheTopBitSetIsAControlFrameNeverALength() {
    Reader reader = new Reader(Framing.LENGTH, Integer.MAX_VALUE);
    assertThatThrownBy(() -> reader.read(new byte[] {(byte) 0xff, 0, 0, 0}))
        .isExactlyInstanceOf(BadFrameException.class)
        .hasMessage("control frame with reserved bits set (first byte 0xff)");
  }

  // Writing by address (putHeader, putTrailer: the server's copies between its own buffers) gives
  // the bytes the buffer methods give, and says how many.

  @Property(tries = 300)
  void headersAndTrailersPutByAddressAreThoseWrittenToABuffer(@ForAll Framing framing,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int payloadLength, @ForAll @IntRange(min = 0, max = 7) int at) {
    ByteBuf written = Unpooled.buffer();
    framing.writeHeader(written, payloadLength);
    int headerBytes = written.readableBytes();
    framing.writeTrailer(written);
    ByteBuf put = Unpooled.directBuffer(32, 32);
    try {
      long address = put.memoryAddress() + at;
      int header = framing.putHeader(address, payloadLength);
      int trailer = framing.putTrailer(address + header);
      assertThat(header).isEqualTo(headerBytes);
      assertThat(header + trailer).isEqualTo(written.readableBytes()).isLessThanOrEqualTo(framing.overhead());
      assertThat(ByteBufUtil.getBytes(put, at, header + trailer)).isEqualTo(ByteBufUtil.getBytes(written));
    } finally {
      put.release();
    }
  }

  // Control frames (length framing only): interleaved with data frames and cut anywhere, they
  // come out in order and as what they are; a bad one is refused from its header, after the
  // frames before it.

  @Property(tries = 300)
  void controlAndDataFramesComeOutInOrderAsWhatTheyAre(@ForAll("mixedFrames") List<Frame> sent, @ForAll long seed) {
    Buffer stream = encode(sent);
    assertThat(readWithFrameReader(stream, seed)).usingElementComparator(Frame::compare).containsExactlyElementsOf(sent);
    Reader server = new Reader(Framing.LENGTH, MAX);
    for (Buffer chunk : split(stream, new Random(seed))) {
      server.read(chunk.getBytes());
    }
    assertThat(server.all).usingElementComparator(Frame::compare).containsExactlyElementsOf(sent);
    assertThat(server.kept()).isZero();
  }

  /**
   * The stream cut at every byte: where the cursor stops at an incomplete frame, it tells the
   * payload length of a data frame whose header is in (what a handler needs to take the payload
   * as it arrives) and -1 before that, for a control frame, and always in line framing.
   */
  @Property(tries = 100)
  void anIncompleteDataFrameTellsItsLengthOnceItsHeaderIsIn(@ForAll("mixedFrames") List<Frame> sent) {
    byte[] stream = encode(sent).getBytes();
    FrameSpan span = new FrameSpan();
    for (int cut = 0; cut <= stream.length; cut++) {
      ByteBuf data = Unpooled.wrappedBuffer(stream, 0, cut);
      int next = 0;
      int start = 0;
      while (Framing.LENGTH.find(data, MAX, 0, span)) {
        start += span.frameLength;
        data.skipBytes(span.frameLength);
        next++;
      }
      int expected = next < sent.size() && sent.get(next).code() == null && cut - start >= 4
          ? sent.get(next).payload().length : -1;
      assertThat(span.incompleteLength).as("cut at %d of %d", cut, stream.length).isEqualTo(expected);
    }
    byte[] line = "a line without its end".getBytes();
    span.incompleteLength = 123;
    assertThat(Framing.LINE.find(Unpooled.wrappedBuffer(line), MAX, 0, span)).isFalse();
    assertThat(span.incompleteLength).isEqualTo(-1);
  }

  @Property(tries = 100)
  void controlHeaderWithReservedBitsIsRefused(@ForAll("mixedFrames") List<Frame> before,
      @ForAll @IntRange(min = 0x81, max = 0xff) int first, @ForAll byte code, @ForAll long seed) {
    assertRefusedAfter(before, new byte[] {(byte) first, code, 0, 0}, seed,
        String.format("control frame with reserved bits set (first byte 0x%02x)", first));
  }

  @Property(tries = 100)
  void unknownControlCodeIsRefused(@ForAll("mixedFrames") List<Frame> before,
      @ForAll("unknownCodes") int code, @ForAll long seed) {
    assertRefusedAfter(before, new byte[] {(byte) 0x80, (byte) code, 0, 0}, seed,
        String.format("control frame with unknown code 0x%02x", code));
  }

  @Property(tries = 100)
  void controlPayloadOverTheLimitIsRefusedFromItsHeader(@ForAll("mixedFrames") List<Frame> before,
      @ForAll Control code, @ForAll @IntRange(min = Control.MAX_PAYLOAD + 1, max = 0xffff) int length, @ForAll long seed) {
    // Only the header is sent: the refusal does not wait for the payload.
    assertRefusedAfter(before, new byte[] {(byte) 0x80, (byte) code.code(), (byte) (length >> 8), (byte) length}, seed,
        "control frame " + code + " with a payload of " + length + " bytes, over the limit of 1024");
  }

  @Property(tries = 100)
  void dataLengthWithTheTopBitClearOverMaxFrameIsTooLarge(@ForAll @IntRange(min = 0, max = 1 << 20) int maxFrame,
      @ForAll @IntRange(min = 1) int excess) {
    long length = Math.min((long) maxFrame + excess, Integer.MAX_VALUE);
    byte[] header = {(byte) (length >> 24), (byte) (length >> 16), (byte) (length >> 8), (byte) length};
    FrameReader reader = new FrameReader(Framing.LENGTH, maxFrame, (data, index, len) -> { });
    assertThatThrownBy(() -> reader.read(Buffer.buffer(header)))
        .isInstanceOfSatisfying(FrameTooLargeException.class, e -> assertThat(e.length()).isEqualTo(length));
  }

  @Property(tries = 100)
  void lineFramingNeverYieldsControlFrames(@ForAll("linePayloads") List<byte[]> payloads, @ForAll long seed) {
    // Each line starts with what would be a HELLO under length framing.
    List<byte[]> lines = new ArrayList<>();
    Buffer stream = Buffer.buffer();
    for (byte[] p : payloads) {
      byte[] line = Buffer.buffer(new byte[] {(byte) 0x80, 1, 0, 1, 1}).appendBytes(p).getBytes();
      lines.add(line);
      stream.appendBytes(line).appendString("\n");
    }
    List<byte[]> read = new ArrayList<>();
    FrameReader reader = new FrameReader(Framing.LINE, MAX + 5, (data, index, length) -> read.add(bytes(data, index, length)),
        (code, data, index, length) -> { throw new AssertionError("control frame " + code + " under line framing"); });
    for (Buffer chunk : split(stream, new Random(seed))) {
      reader.read(chunk);
    }
    assertThat(read).usingElementComparator(Arrays::compare).containsExactlyElementsOf(lines);
  }

  private static void assertRefusedAfter(List<Frame> before, byte[] bad, long seed, String message) {
    Buffer stream = encode(before).appendBytes(bad);
    List<Frame> read = new ArrayList<>();
    FrameReader reader = new FrameReader(Framing.LENGTH, MAX, (data, index, length) -> read.add(new Frame(null, bytes(data, index, length))),
        (code, data, index, length) -> read.add(new Frame(code, bytes(data, index, length))));
    assertThatThrownBy(() -> {
      for (Buffer chunk : split(stream, new Random(seed))) {
        reader.read(chunk);
      }
    }).isExactlyInstanceOf(BadFrameException.class).hasMessage(message);
    assertThat(read).usingElementComparator(Frame::compare).containsExactlyElementsOf(before);

    Reader server = new Reader(Framing.LENGTH, MAX);
    assertThatThrownBy(() -> {
      for (Buffer chunk : split(stream, new Random(seed))) {
        server.read(chunk.getBytes());
      }
    }).isExactlyInstanceOf(BadFrameException.class).hasMessage(message);
    assertThat(server.all).usingElementComparator(Frame::compare).containsExactlyElementsOf(before);
  }

  private static List<Frame> readWithFrameReader(Buffer stream, long seed) {
    List<Frame> read = new ArrayList<>();
    FrameReader reader = new FrameReader(Framing.LENGTH, MAX, (data, index, length) -> read.add(new Frame(null, bytes(data, index, length))),
        (code, data, index, length) -> read.add(new Frame(code, bytes(data, index, length))));
    for (Buffer chunk : split(stream, new Random(seed))) {
      reader.read(chunk);
    }
    assertThat(reader.buffered()).isZero();
    return read;
  }

  /** Data and control frames through the encoder, into one stream. */
  private static Buffer encode(List<Frame> frames) {
    ByteBuf out = Unpooled.buffer();
    for (Frame f : frames) {
      if (f.code() == null) {
        Framing.LENGTH.writeFrame(out, Unpooled.wrappedBuffer(f.payload()), 0, f.payload().length);
      } else {
        Framing.LENGTH.writeControl(out, f.code(), Unpooled.wrappedBuffer(f.payload()));
      }
    }
    return Buffer.buffer(ByteBufUtil.getBytes(out));
  }

  /** A frame as read: {@code code} null for a data frame. */
  record Frame(Control code, byte[] payload) {
    static int compare(Frame a, Frame b) {
      return a.code == b.code && Arrays.equals(a.payload, b.payload) ? 0 : 1;
    }
  }

  private static void assertFoundInPlace(Framing framing, Buffer stream, List<byte[]> payloads, long seed) {
    Reader reader = new Reader(framing, MAX);
    for (Buffer chunk : split(stream, new Random(seed))) {
      reader.read(chunk.getBytes());
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
    /** Data frames. */
    final List<byte[]> frames = new ArrayList<>();
    /** Data and control frames, in stream order. */
    final List<Frame> all = new ArrayList<>();
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
        if (span.control == null) {
          frames.add(frame);
        }
        all.add(new Frame(span.control, frame));
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
  Arbitrary<List<Frame>> mixedFrames() {
    Arbitrary<Frame> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX).map(p -> new Frame(null, p));
    Arbitrary<Frame> control = Combinators.combine(Arbitraries.of(Control.class),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(Control.MAX_PAYLOAD)).as(Frame::new);
    return Arbitraries.oneOf(data, control).list().ofMaxSize(20);
  }

  @Provide
  Arbitrary<Integer> unknownCodes() {
    return Arbitraries.integers().between(0, 0xff).filter(c -> java.util.stream.Stream.of(Control.values()).noneMatch(k -> k.code() == c));
  }

  @Provide
  Arbitrary<List<byte[]>> linePayloads() {
    // No '\n' inside, and no '\r' at the end (line framing drops it by design).
    return Arbitraries.bytes().filter(b -> b != '\n' && b != '\r').array(byte[].class).ofMaxSize(MAX).list().ofMaxSize(20);
  }
}
