package dev.unixsocket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cases the properties in {@link FrameCodecPropertiesTest} do not single out. */
class FrameReaderTest {

  private final List<String> frames = new ArrayList<>();

  private FrameReader reader(Framing framing, int maxFrame) {
    return new FrameReader(framing, maxFrame, (data, index, length) -> frames.add(data.toString(index, length,
        java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static Buffer lengthFrames(String... payloads) {
    Buffer out = Buffer.buffer();
    for (String p : payloads) {
      Framing.LENGTH.appendChecked(Buffer.buffer(p), out);
    }
    return out;
  }

  @Test
  void lengthFramingReadsManyFramesInOneRead() {
    Buffer stream = Buffer.buffer();
    for (int i = 0; i < 1000; i++) {
      Framing.LENGTH.appendChecked(Buffer.buffer("m" + i), stream);
    }
    assertThat(reader(Framing.LENGTH, 100).read(stream)).isEqualTo(1000);
    assertThat(frames).hasSize(1000).endsWith("m999");
  }

  @Test
  void lengthFramingReassemblesAFrameFedByteByByte() {
    Buffer stream = lengthFrames("hello", "");
    FrameReader reader = reader(Framing.LENGTH, 100);
    for (int i = 0; i < stream.length(); i++) {
      reader.read(stream.slice(i, i + 1));
    }
    assertThat(frames).containsExactly("hello", "");
    assertThat(reader.buffered()).isZero();
  }

  @Test
  void zeroLengthFrameIsAnEmptyMessage() {
    reader(Framing.LENGTH, 10).read(Buffer.buffer(new byte[] {0, 0, 0, 0}));
    assertThat(frames).containsExactly("");
  }

  @Test
  void oversizeHeaderSplitAcrossReadsIsRefusedWhenComplete() {
    FrameReader reader = reader(Framing.LENGTH, 10);
    reader.read(Buffer.buffer(new byte[] {0, 0}));
    assertThatThrownBy(() -> reader.read(Buffer.buffer(new byte[] {1, 0})))
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessage("frame of 256 bytes exceeds max-frame 10");
    // The stream cannot be resynchronised: nothing more is read from it.
    assertThat(reader.read(lengthFrames("late"))).isZero();
    assertThat(frames).isEmpty();
  }

  @Test
  void frameOfExactlyMaxFrameIsAccepted() {
    reader(Framing.LENGTH, 3).read(lengthFrames("abc"));
    assertThat(frames).containsExactly("abc");
  }

  @Test
  void framesAfterOneWhoseHandlerThrowsAreStillRead() {
    List<String> seen = new ArrayList<>();
    FrameReader reader = new FrameReader(Framing.LENGTH, 10, (data, index, length) -> {
      String text = data.toString(index, length, java.nio.charset.StandardCharsets.UTF_8);
      seen.add(text);
      if (text.equals("bad")) {
        throw new IllegalStateException("handler failed");
      }
    });
    Buffer stream = lengthFrames("one", "bad", "two");
    assertThatThrownBy(() -> reader.read(stream.slice(0, stream.length() - 2))).hasMessage("handler failed");
    reader.read(stream.slice(stream.length() - 2, stream.length()));
    assertThat(seen).containsExactly("one", "bad", "two");
  }

  @Test
  void aHandlerMayCloseTheReaderMidRead() {
    FrameReader[] reader = new FrameReader[1];
    reader[0] = new FrameReader(Framing.LENGTH, 10, (data, index, length) -> {
      frames.add(data.toString(index, length, java.nio.charset.StandardCharsets.UTF_8));
      reader[0].close();
    });
    reader[0].read(lengthFrames("one", "two"));
    assertThat(frames).containsExactly("one");
    assertThat(reader[0].buffered()).isZero();
  }

  @Test
  void nettyReadsAreReleasedAndSoIsTheIncompleteFrameOnClose() {
    PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    FrameReader reader = reader(Framing.LENGTH, 100_000);
    Buffer stream = lengthFrames("a".repeat(20_000), "b".repeat(20_000));
    List<ByteBuf> reads = new ArrayList<>();
    for (int at = 0; at < stream.length() - 100; at += 3000) {
      ByteBuf read = alloc.directBuffer().writeBytes(stream.getBytes(at, Math.min(at + 3000, stream.length() - 100)));
      reads.add(read);
      reader.read(read, alloc);
    }
    assertThat(frames).hasSize(1);
    assertThat(reader.buffered()).isGreaterThan(0);
    reader.close();
    assertThat(reads).allSatisfy(r -> assertThat(r.refCnt()).isZero());
  }

  @Test
  void lineFramingDropsCarriageReturnAndKeepsEmptyLines() {
    reader(Framing.LINE, 100).read(Buffer.buffer("one\r\n\ntwo\nthr"));
    assertThat(frames).containsExactly("one", "", "two");
  }

  @Test
  void lineFramingJoinsALineSplitAcrossReads() {
    FrameReader reader = reader(Framing.LINE, 100);
    reader.read(Buffer.buffer("hel"));
    reader.read(Buffer.buffer("lo\r"));
    reader.read(Buffer.buffer("\nx"));
    assertThat(frames).containsExactly("hello");
    assertThat(reader.buffered()).isEqualTo(1);
  }

  @Test
  void lineLongerThanMaxFrameFailsWithoutWaitingForTheNewline() {
    FrameReader reader = reader(Framing.LINE, 4);
    reader.read(Buffer.buffer("abcd"));
    assertThatThrownBy(() -> reader.read(Buffer.buffer("ef"))).isInstanceOf(FrameTooLargeException.class);
    assertThat(frames).isEmpty();
  }

  @Test
  void encoderWritesWhatTheCursorReads() {
    ByteBuf out = io.netty.buffer.Unpooled.buffer();
    ByteBuf payload = io.netty.buffer.Unpooled.copiedBuffer("xhellox", java.nio.charset.StandardCharsets.UTF_8);
    Framing.LENGTH.writeFrame(out, payload, 1, 5);
    assertThat(ByteBufUtil.hexDump(out)).isEqualTo("0000000568656c6c6f");
    Framing.LINE.writeFrame(out.clear(), payload, 1, 5);
    assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("hello\n");
  }

  @Test
  void controlFramesAreWrittenAsTheProtocolSays() {
    ByteBuf out = io.netty.buffer.Unpooled.buffer();
    Framing.LENGTH.writeControl(out, Control.HELLO, io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {Control.VERSION}));
    Framing.LENGTH.writeControl(out, Control.GOAWAY, null);
    assertThat(ByteBufUtil.hexDump(out)).isEqualTo("8001000101" + "80020000");
    Buffer same = Buffer.buffer();
    Framing.LENGTH.appendControl(same, Control.HELLO, Buffer.buffer(new byte[] {Control.VERSION}));
    Framing.LENGTH.appendControl(same, Control.GOAWAY, null);
    assertThat(ByteBufUtil.hexDump(same.getBytes())).isEqualTo("8001000101" + "80020000");
    assertThatThrownBy(() -> Framing.LINE.writeControl(out, Control.DONE, null))
        .isInstanceOf(IllegalStateException.class).hasMessage("line framing has no control frames");
    assertThatThrownBy(() -> Framing.LENGTH.appendControl(same, Control.REFUSED, Buffer.buffer(new byte[1025])))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("a control payload holds at most 1024 bytes, not 1025");
  }

  @Test
  void controlCodesAreTheirWireBytesAndUnknownOnesAreRefused() {
    assertThat(Control.values()).allSatisfy(c -> assertThat(Control.of(c.code())).isSameAs(c));
    assertThat(Control.values()).extracting(Control::code).containsExactly(1, 2, 3, 4, 5, 6);
    assertThatThrownBy(() -> Control.of(0)).isInstanceOf(BadFrameException.class).hasMessage("control frame with unknown code 0x00");
    assertThatThrownBy(() -> Control.of(7)).isInstanceOf(BadFrameException.class);
  }

  @Test
  void aReaderWithoutAControlHandlerRefusesControlFramesAfterTheDataBeforeThem() {
    Buffer stream = lengthFrames("before");
    Framing.LENGTH.appendControl(stream, Control.GOAWAY, null);
    FrameReader reader = reader(Framing.LENGTH, 100);
    assertThatThrownBy(() -> reader.read(stream))
        .isExactlyInstanceOf(BadFrameException.class).hasMessage("control frame GOAWAY where none is expected");
    assertThat(frames).containsExactly("before");
  }

  @Test
  void lineEncoderRefusesAPayloadWithANewline() {
    assertThatThrownBy(() -> Framing.LINE.check(Buffer.buffer("a\nb")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("line framing cannot carry a payload that contains a newline (byte 1)");
  }

  @Test
  void framingNamesParseInAnyCase() {
    assertThat(Framing.of("LINE")).isEqualTo(Framing.LINE);
    assertThat(Framing.of("length")).isEqualTo(Framing.LENGTH);
    assertThatThrownBy(() -> Framing.of("xml")).hasMessage("unknown framing 'xml': use length or line");
  }
}
