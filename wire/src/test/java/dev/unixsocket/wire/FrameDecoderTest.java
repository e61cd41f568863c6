package dev.unixsocket.wire;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameDecoderTest {

  private final List<Buffer> frames = new ArrayList<>();

  private List<String> texts() {
    return frames.stream().map(Buffer::toString).toList();
  }

  @Test
  void lengthFramingDecodesManyFramesInOneChunk() {
    Buffer stream = Buffer.buffer();
    for (int i = 0; i < 1000; i++) {
      Framing.LENGTH.encode(Buffer.buffer("m" + i), stream);
    }
    Framing.LENGTH.decoder(100).decode(stream, frames::add);
    assertThat(frames).hasSize(1000);
    assertThat(frames.get(999).toString()).isEqualTo("m999");
  }

  @Test
  void lengthFramingReassemblesAFrameFedByteByByte() {
    Buffer stream = Framing.LENGTH.encode(Buffer.buffer("hello")).appendBuffer(Framing.LENGTH.encode(Buffer.buffer("")));
    FrameDecoder decoder = Framing.LENGTH.decoder(100);
    for (int i = 0; i < stream.length(); i++) {
      decoder.decode(stream.slice(i, i + 1), frames::add);
    }
    assertThat(texts()).containsExactly("hello", "");
    assertThat(decoder.buffered()).isZero();
  }

  @Test
  void zeroLengthFrameIsAnEmptyMessage() {
    Framing.LENGTH.decoder(10).decode(Buffer.buffer(new byte[] {0, 0, 0, 0}), frames::add);
    assertThat(texts()).containsExactly("");
  }

  @Test
  void oversizeHeaderFailsBeforeThePayloadArrives() {
    FrameDecoder decoder = Framing.LENGTH.decoder(10);
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer().appendInt(11), frames::add))
        .isInstanceOf(FrameTooLargeException.class)
        .hasMessage("frame of 11 bytes exceeds max-frame 10");
  }

  @Test
  void headerAboveTwoGigabytesIsReadUnsignedAndRefused() {
    FrameDecoder decoder = Framing.LENGTH.decoder(Framing.DEFAULT_MAX_FRAME);
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}), frames::add))
        .isInstanceOfSatisfying(FrameTooLargeException.class, e -> assertThat(e.length()).isEqualTo(0xffffffffL));
  }

  @Test
  void oversizeHeaderSplitAcrossChunksIsRefusedWhenComplete() {
    FrameDecoder decoder = Framing.LENGTH.decoder(10);
    decoder.decode(Buffer.buffer(new byte[] {0, 0}), frames::add);
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer(new byte[] {1, 0}), frames::add))
        .isInstanceOf(FrameTooLargeException.class);
  }

  @Test
  void frameOfExactlyMaxFrameIsAccepted() {
    Framing.LENGTH.decoder(3).decode(Framing.LENGTH.encode(Buffer.buffer("abc")), frames::add);
    assertThat(texts()).containsExactly("abc");
  }

  @Test
  void wholeFramesAreSlicesOfTheChunkNotCopies() {
    Buffer chunk = Framing.LENGTH.encode(Buffer.buffer("abc"));
    Framing.LENGTH.decoder(10).decode(chunk, frames::add);
    chunk.setByte(4, (byte) 'x');
    assertThat(texts()).containsExactly("xbc");
  }

  @Test
  void lineFramingDropsCarriageReturnAndKeepsEmptyLines() {
    Framing.LINE.decoder(100).decode(Buffer.buffer("one\r\n\ntwo\nthr"), frames::add);
    assertThat(texts()).containsExactly("one", "", "two");
  }

  @Test
  void lineFramingJoinsALineSplitAcrossChunks() {
    FrameDecoder decoder = Framing.LINE.decoder(100);
    decoder.decode(Buffer.buffer("hel"), frames::add);
    decoder.decode(Buffer.buffer("lo\r"), frames::add);
    decoder.decode(Buffer.buffer("\nx"), frames::add);
    assertThat(texts()).containsExactly("hello");
    assertThat(decoder.buffered()).isEqualTo(1);
  }

  @Test
  void lineLongerThanMaxFrameFailsWithoutWaitingForTheNewline() {
    FrameDecoder decoder = Framing.LINE.decoder(4);
    decoder.decode(Buffer.buffer("abcd"), frames::add);
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer("ef"), frames::add))
        .isInstanceOf(FrameTooLargeException.class);
    assertThat(frames).isEmpty();
  }

  @Test
  void lineOfExactlyMaxFrameWithCarriageReturnIsAccepted() {
    FrameDecoder decoder = Framing.LINE.decoder(4);
    decoder.decode(Buffer.buffer("abcd\r"), frames::add);
    decoder.decode(Buffer.buffer("\n"), frames::add);
    assertThat(texts()).containsExactly("abcd");
  }

  @Test
  void lineEncoderRefusesAPayloadWithANewline() {
    assertThatThrownBy(() -> Framing.LINE.encode(Buffer.buffer("a\nb")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("newline");
  }

  @Test
  void framingNamesParseInAnyCase() {
    assertThat(Framing.of("LINE")).isEqualTo(Framing.LINE);
    assertThat(Framing.of("length")).isEqualTo(Framing.LENGTH);
    assertThatThrownBy(() -> Framing.of("xml")).hasMessage("unknown framing 'xml': use length or line");
  }
}
