package dev.unixsocket.wire;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointOptionsTest {

  @Test
  void jsonRoundTripsEveryFieldAndCopiesAreEqual() {
    EndpointOptions o = new EndpointOptions().setPath("/tmp/e.sock").setFraming(Framing.LINE).setMaxFrame(7);
    assertThat(o.toJson().fieldNames()).containsExactlyInAnyOrder("path", "framing", "maxFrame");
    assertThat(o).isNotEqualTo(new EndpointOptions());
    assertThat(new EndpointOptions(o.toJson())).isEqualTo(o);
    assertThat(new EndpointOptions(new JsonObject(o.toJson().encode()))).isEqualTo(o);
    assertThat(new EndpointOptions(o)).isEqualTo(o);
  }

  @Test
  void maxFrameIsAtLeastOneByte() {
    assertThatThrownBy(() -> new EndpointOptions().setMaxFrame(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxFrame must be >= 1 byte, was 0");
    assertThat(new EndpointOptions().setMaxFrame(1).getMaxFrame()).isEqualTo(1);
    assertThat(new EndpointOptions().setMaxFrame(Integer.MAX_VALUE).getMaxFrame()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void mistypedFieldsAreNamedWithTheExpectedType() {
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("maxFrame", "10")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("option maxFrame must be a whole number in int range, was the string \"10\"");
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("maxFrame", 1.5)))
        .hasMessage("option maxFrame must be a whole number in int range, was the number 1.5");
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("maxFrame", 1L << 31)))
        .hasMessageContaining("maxFrame must be a whole number in int range");
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("path", new JsonArray().add("/tmp/a.sock"))))
        .hasMessage("option path must be a string, was the array [\"/tmp/a.sock\"]");
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().putNull("framing")))
        .hasMessage("option framing must be a string, was null");
  }

  @Test
  void aRefusedValueNamesTheFieldAndTheRule() {
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("framing", "lines")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("option framing: unknown framing 'lines': use length or line");
    assertThatThrownBy(() -> new EndpointOptions(new JsonObject().put("maxFrame", 0)))
        .hasMessage("option maxFrame must be >= 1 byte, was 0");
  }

  @Test
  void wholeNumbersArriveAsAnyJsonNumber() {
    // A config parsed from text gives Integer; one built in code may hold Long or a whole double.
    assertThat(new EndpointOptions(new JsonObject().put("maxFrame", 5L)).getMaxFrame()).isEqualTo(5);
    assertThat(new EndpointOptions(new JsonObject().put("maxFrame", 5.0)).getMaxFrame()).isEqualTo(5);
    assertThat(new EndpointOptions(new JsonObject("{\"maxFrame\":5}")).getMaxFrame()).isEqualTo(5);
  }
}
