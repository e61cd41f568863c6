package dev.unixsocket.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.unix.IovArray;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replies whose payloads stay in the read buffer: the pieces go out in the order they were
 * written, heads from the reply buffer and payloads from the read, and what the socket did not
 * take is copied out from any byte on.
 */
class ReplyPiecesTest {

  private final ByteBuf read = Unpooled.directBuffer(64, 64);
  private final ByteBuf reply = Unpooled.directBuffer(64, 64);
  private final ReplyPieces pieces = new ReplyPieces(read, reply, 7);

  @AfterEach
  void tearDown() {
    read.release();
    reply.release();
  }

  /** Two payloads in place between heads, and a small reply copied whole at the end. */
  private void twoRepliesInPlaceAndOneCopied() {
    read.writeBytes(ascii("..AAAA..BBB"));
    reply.writeBytes(ascii("h1"));
    pieces.payload(2, 4);
    reply.writeBytes(ascii("h2"));
    pieces.payload(8, 3);
    reply.writeBytes(ascii("h3c"));
    pieces.end();
  }

  @Test
  void piecesKeepTheOrderTheRepliesWereWrittenIn() {
    twoRepliesInPlaceAndOneCopied();

    assertThat(pieces.bytes()).isEqualTo(14);
    assertThat(string(pieces.copy(ByteBufAllocator.DEFAULT, 0))).isEqualTo("h1AAAAh2BBBh3c");
  }

  @Test
  void theRestAfterAnyNumberOfSentBytesIsCopiedOut() {
    twoRepliesInPlaceAndOneCopied();
    String all = "h1AAAAh2BBBh3c";

    for (int sent = 0; sent < all.length(); sent++) {
      assertThat(string(pieces.copy(ByteBufAllocator.DEFAULT, sent))).as("after %d sent", sent)
          .isEqualTo(all.substring(sent));
    }
  }

  @Test
  void theIovListsEachPieceAtItsAddress() {
    twoRepliesInPlaceAndOneCopied();
    IovArray iov = new IovArray(Unpooled.directBuffer(16 * IovArray.IOV_SIZE));
    try {
      assertThat(pieces.addTo(iov)).isTrue();
      assertThat(iov.count()).isEqualTo(5);
      assertThat(iov.size()).isEqualTo(14);
      // Each entry is a struct iovec: the address, then the length.
      long[][] expected = {
          {reply.memoryAddress(), 2}, {read.memoryAddress() + 2, 4}, {reply.memoryAddress() + 2, 2},
          {read.memoryAddress() + 8, 3}, {reply.memoryAddress() + 4, 3}};
      for (int i = 0; i < expected.length; i++) {
        long entry = iov.memoryAddress(i);
        assertThat(new long[] {PlatformDependent.getLong(entry), PlatformDependent.getLong(entry + 8)})
            .as("iov entry %d", i).containsExactly(expected[i]);
      }
    } finally {
      iov.release();
    }
  }

  @Test
  void aReplyBufferWithNoPayloadInPlaceMakesNoPieces() {
    reply.writeBytes(ascii("h1c"));
    pieces.end();

    assertThat(pieces.isEmpty()).isTrue();
  }

  @Test
  void clearedPiecesStartAgainAtTheReplyBuffersStart() {
    twoRepliesInPlaceAndOneCopied();
    pieces.clear();
    reply.clear().writeBytes(ascii("h4"));
    pieces.payload(2, 4);
    pieces.end();

    assertThat(string(pieces.copy(ByteBufAllocator.DEFAULT, 0))).isEqualTo("h4AAAA");
  }

  @Test
  void roomIsForOneMorePayloadAndTheEnd() {
    read.writeBytes(ascii("AAAA"));
    pieces.payload(0, 1); // 1 piece: nothing in the reply buffer before it
    reply.writeBytes(ascii("h"));
    pieces.payload(1, 1); // 3
    assertThat(pieces.hasRoom()).isTrue();
    reply.writeBytes(ascii("h"));
    pieces.payload(2, 1); // 5
    assertThat(pieces.hasRoom()).isFalse();
    reply.writeBytes(ascii("t"));
    pieces.end(); // 6 of 7

    assertThat(string(pieces.copy(ByteBufAllocator.DEFAULT, 0))).isEqualTo("AhAhAt");
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String string(ByteBuf b) {
    try {
      return b.toString(StandardCharsets.US_ASCII);
    } finally {
      b.release();
    }
  }
}
