package dev.unixsocket.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PayloadsTest {

  @Test
  void payloadsDifferPerFrameAndStayPrintable() {
    Payloads p = new Payloads(64);
    Set<String> seen = new HashSet<>();
    for (long seq = 0; seq < 1000; seq++) {
      byte[] b = p.bytes(seq);
      assertThat(b).hasSize(64);
      for (byte x : b) {
        assertThat((char) x).matches(c -> Character.isLetterOrDigit(c), "alphanumeric");
      }
      seen.add(new String(b));
    }
    assertThat(seen).hasSize(1000);
  }

  @Test
  void mismatchFindsTheFirstDifferentByteAtAnyOffset() {
    Payloads p = new Payloads(300);
    long seq = 123_456_789L;
    byte[] payload = p.bytes(seq);
    ByteBuf in = Unpooled.wrappedBuffer(payload);

    assertThat(p.mismatch(in, 0, seq, 0, 300)).isEqualTo(-1);
    assertThat(p.mismatch(in, 10, seq, 10, 200)).isEqualTo(-1); // a chunk in the middle
    assertThat(p.mismatch(in, 0, seq + 1, 0, 300)).isBetween(0, 15); // another frame's stamp
    for (int at : new int[] {0, 15, 16, 17, 150, 299}) {
      byte[] copy = payload.clone();
      copy[at] ^= 1;
      assertThat(p.mismatch(Unpooled.wrappedBuffer(copy), 0, seq, 0, 300)).isEqualTo(at);
      assertThat(p.byteAt(seq, at)).isEqualTo(payload[at]);
    }
  }

  @Test
  void tinyAndEmptyPayloads() {
    assertThat(new Payloads(0).bytes(7)).isEmpty();
    assertThat(new String(new Payloads(3).bytes(0xabc))).isEqualTo("abc");
    assertThat(new Payloads(3).mismatch(Unpooled.wrappedBuffer("abc".getBytes()), 0, 0xabc, 0, 3)).isEqualTo(-1);
  }
}
