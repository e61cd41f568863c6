package dev.unixsocket.client;

import dev.unixsocket.wire.Framing;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The intake's one check of a body: a single message and a batch element get the same verdict. */
class IntakeTest {

  private static Intake intake(Framing framing, int maxFrame) {
    ClientOptions options = new ClientOptions().setFraming(framing).setMaxFrame(maxFrame);
    return new Intake(options, new OutboundQueue<>(10), new Failures(new ClientStats(), "/tmp/x.sock"), () -> { });
  }

  /** The failure code for {@code body} checked as element {@code element}, or 0 when it passes. */
  private static int code(Intake intake, Object body, int element) {
    Intake.Refused r = catchThrowableOfType(() -> intake.payload(body, element), Intake.Refused.class);
    return r == null ? 0 : r.code;
  }

  @Test
  void aBodyGetsTheSameCodeAsASingleMessageAndAsAnyBatchElement() {
    List<Object> bodies = Arrays.asList("ok", Buffer.buffer("bytes"), new JsonObject().put("a", 1), "",
        "x".repeat(11), Buffer.buffer(new byte[11]), 42, null, new JsonArray().add("nested"), "two\nlines", 'c');
    for (Framing framing : Framing.values()) {
      Intake intake = intake(framing, 10);
      for (Object body : bodies) {
        int single = code(intake, body, Intake.SINGLE);
        for (int element : new int[] {0, 1, 7}) {
          assertThat(code(intake, body, element)).as("%s under %s framing, element %d", body, framing, element).isEqualTo(single);
        }
      }
    }
  }

  @Test
  void eachCheckHasItsCode() {
    Intake length = intake(Framing.LENGTH, 10);
    assertThat(code(length, "x".repeat(10), Intake.SINGLE)).isZero();
    assertThat(code(length, "x".repeat(11), Intake.SINGLE)).isEqualTo(ClientFailure.FRAME_TOO_LARGE);
    assertThat(code(length, 42, Intake.SINGLE)).isEqualTo(ClientFailure.BAD_BODY);
    assertThat(code(length, null, Intake.SINGLE)).isEqualTo(ClientFailure.BAD_BODY);
    assertThat(code(length, "two\nlines", Intake.SINGLE)).isZero();
    assertThat(code(intake(Framing.LINE, 10), "two\nlines", Intake.SINGLE)).isEqualTo(ClientFailure.BAD_BODY);
  }

  @Test
  void theWordingNamesTheBatchElement() {
    Intake intake = intake(Framing.LINE, 10);
    assertThat(catchThrowableOfType(() -> intake.payload("x".repeat(11), Intake.SINGLE), Intake.Refused.class))
        .hasMessage("frame too large: 11 bytes exceeds max-frame 10");
    assertThat(catchThrowableOfType(() -> intake.payload("x".repeat(11), 2), Intake.Refused.class))
        .hasMessage("frame too large: batch element 2 is 11 bytes, exceeds max-frame 10");
    assertThat(catchThrowableOfType(() -> intake.payload(42, Intake.SINGLE), Intake.Refused.class))
        .hasMessage("bad body: java.lang.Integer is not supported; send a Buffer, String or JsonObject");
    assertThat(catchThrowableOfType(() -> intake.payload(42, 1), Intake.Refused.class))
        .hasMessage("bad body: batch element 1 is a java.lang.Integer; batch elements must be Buffer, String or JsonObject");
    assertThat(catchThrowableOfType(() -> intake.payload("a\nb", 0), Intake.Refused.class).getMessage())
        .startsWith("bad body: batch element 0: ");
    assertThatCode(() -> intake.payload("fine", 0)).doesNotThrowAnyException();
  }
}
