package dev.unixsocket.client;

import dev.unixsocket.wire.DefaultPath;
import dev.unixsocket.wire.Framing;
import io.vertx.core.json.JsonObject;
import dev.unixsocket.testkit.OptionGetters;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientOptionsTest {

  @Test
  void defaultsFollowTheSpec() {
    ClientOptions o = new ClientOptions();
    assertThat(o.getPath()).isEqualTo(DefaultPath.get()).isEqualTo(dev.unixsocket.server.ServerOptions.DEFAULT_PATH);
    assertThat(o.getFraming()).isEqualTo(Framing.LENGTH);
    assertThat(o.getMaxFrame()).isEqualTo(10 * 1024 * 1024);
    assertThat(o.getSendAddress()).isEqualTo("uds.client.send");
    assertThat(o.getInboundAddress()).isEqualTo("uds.client.inbound");
    assertThat(o.getStatusAddress()).isEqualTo("uds.client.status");
    assertThat(o.getReconnectAttempts()).isEqualTo(-1);
    assertThat(o.getHello()).isNull();
    assertThat(o.getInFlightOnLoss()).isEqualTo(InFlightOnLoss.FAIL);
  }

  /** Every field set to something other than its default. */
  private static ClientOptions everyFieldChanged() {
    return new ClientOptions()
        .setPath("/tmp/x.sock").setFraming(Framing.LINE).setMaxFrame(1234)
        .setSendAddress("s").setInboundAddress("i").setStatusAddress("st")
        .setReconnectInitialDelayMs(7).setReconnectMultiplier(1.5).setReconnectMaxDelayMs(70).setReconnectJitter(0.5)
        .setReconnectAttempts(3).setQueueCapacity(9).setHello("hi").setInFlightOnLoss(InFlightOnLoss.RESEND)
        .setMaxBatchBytes(512);
  }

  @Test
  void jsonAndCopyRoundTripEveryField() {
    ClientOptions changed = everyFieldChanged();
    ClientOptions defaults = new ClientOptions();
    assertThat(OptionGetters.of(ClientOptions.class)).hasSizeGreaterThanOrEqualTo(15);
    // The test itself must cover every option, or a field missing from the round trip would pass unseen.
    assertThat(OptionGetters.unchanged(ClientOptions.class, changed, defaults)).as("options everyFieldChanged() leaves at their default").isEmpty();
    assertThat(changed.toJson().fieldNames()).hasSameSizeAs(OptionGetters.of(ClientOptions.class));
    // As it would arrive from a config file too: numbers parsed back, enum labels in any case.
    JsonObject fromFile = new JsonObject(changed.toJson().encode()).put("inFlightOnLoss", "Resend").put("framing", "LINE");
    for (JsonObject json : List.of(changed.toJson(), fromFile)) {
      ClientOptions read = new ClientOptions(json);
      assertThat(OptionGetters.differing(ClientOptions.class, read, changed)).as("options lost in toJson and back").isEmpty();
      assertThat(read.toJson()).isEqualTo(changed.toJson());
    }
    ClientOptions copy = new ClientOptions(changed);
    assertThat(OptionGetters.differing(ClientOptions.class, copy, changed)).as("options lost in the copy").isEmpty();
  }

  @Test
  void jsonKeepsDefaultsForAbsentFieldsAndAcceptsNullHello() {
    ClientOptions o = new ClientOptions(new JsonObject().put("path", "/tmp/y.sock").putNull("hello"));
    assertThat(o.getPath()).isEqualTo("/tmp/y.sock");
    assertThat(o.getHello()).isNull();
    assertThat(o.getQueueCapacity()).isEqualTo(ClientOptions.DEFAULT_QUEUE_CAPACITY);
    assertThat(new ClientOptions((JsonObject) null).toJson()).isEqualTo(new ClientOptions().toJson());
  }

  @Test
  void jsonWithWrongTypesNamesTheField() {
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("queueCapacity", "ten")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("client option queueCapacity must be a whole number in int range, was the string \"ten\"");
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("maxFrame", 1e12)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client option maxFrame must be a whole number");
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("path", 5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("client option path must be a string, was the number 5");
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("reconnectMultiplier", "2")))
        .hasMessage("client option reconnectMultiplier must be a number, was the string \"2\"");
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("hello", 1)))
        .hasMessage("client option hello must be a string or null, was the number 1");
    assertThatThrownBy(() -> new ClientOptions(new JsonObject().put("inFlightOnLoss", "maybe")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("client option inFlightOnLoss: unknown in-flight-on-loss policy 'maybe': use fail or resend");
  }

  @Test
  void settersRefuseBadValuesStatingTheRule() {
    ClientOptions o = new ClientOptions();
    assertThatThrownBy(() -> o.setPath("")).hasMessageContaining("path must not be empty");
    assertThatThrownBy(() -> o.setPath("/tmp/" + "x".repeat(103) + ".sock"))
        .hasMessageContaining("over the kernel's limit of 107").hasMessageContaining("use a shorter path");
    assertThatThrownBy(() -> o.setFraming(null)).hasMessageContaining("framing must not be null");
    assertThatThrownBy(() -> o.setMaxFrame(0)).hasMessageContaining("maxFrame must be >= 1");
    assertThatThrownBy(() -> o.setSendAddress(" ")).hasMessageContaining("sendAddress must not be empty");
    assertThatThrownBy(() -> o.setReconnectInitialDelayMs(0)).hasMessageContaining("reconnectInitialDelayMs must be >= 1");
    assertThatThrownBy(() -> o.setReconnectMultiplier(0.9)).hasMessageContaining("reconnectMultiplier must be a finite number >= 1.0");
    assertThatThrownBy(() -> o.setReconnectMaxDelayMs(0)).hasMessageContaining("reconnectMaxDelayMs must be >= 1");
    assertThatThrownBy(() -> o.setReconnectJitter(-0.1)).hasMessageContaining("reconnectJitter must be between 0.0 and 1.0");
    assertThatThrownBy(() -> o.setReconnectAttempts(-2)).hasMessageContaining("or -1 for forever");
    assertThatThrownBy(() -> o.setQueueCapacity(0)).hasMessageContaining("queueCapacity must be >= 1");
    assertThatThrownBy(() -> o.setInFlightOnLoss(null)).hasMessageContaining("inFlightOnLoss must not be null");
    assertThatThrownBy(() -> o.setMaxBatchBytes(0)).hasMessageContaining("maxBatchBytes must be >= 1");
    assertThat(o.toJson()).isEqualTo(new ClientOptions().toJson()); // nothing half-applied
  }

  @Test
  void pathAtTheKernelLimitIsAccepted() {
    String path = "/tmp/" + "x".repeat(102);
    assertThat(path).hasSize(107);
    assertThat(new ClientOptions().setPath(path).getPath()).isEqualTo(path);
  }
}
