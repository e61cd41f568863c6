package dev.unixsocket.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.unixsocket.wire.Framing;
import dev.unixsocket.wire.JsonFields;
import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.json.JsonObject;
import dev.unixsocket.testkit.OptionGetters;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerOptionsTest {

  /** Every field set to something other than its default. */
  private static ServerOptions everyFieldChanged() {
    return new ServerOptions()
        .setPath("/tmp/so.sock").setFraming(Framing.LINE).setEchoPrefix("e>").setMaxFrame(1234)
        .setSocketMode(0660).setInstances(3).setTransport(TransportChoice.NIO).setDrainTimeoutMs(77).setReplace(true).setInheritedFd(3)
        .setHandler(FrameHandler.EVENTBUS).setInboundAddress("in").setRequestTimeoutMs(88)
        .setErrorPrefix("err>").setMaxInFlight(9).setHandlerBatch(32).setAllowUids(Set.of(1000, 1001)).setMaxConnections(5)
        .setIdleTimeoutSeconds(6).setMaxQueuedBytes(4096);
  }

  @Test
  void jsonAndCopyRoundTripEveryField() {
    ServerOptions changed = everyFieldChanged();
    ServerOptions defaults = new ServerOptions();
    assertThat(OptionGetters.of(ServerOptions.class)).hasSizeGreaterThanOrEqualTo(17);
    // The test itself must cover every option, or a field missing from the round trip would pass unseen.
    assertThat(OptionGetters.unchanged(ServerOptions.class, changed, defaults)).as("options everyFieldChanged() leaves at their default").isEmpty();
    assertThat(changed.toJson().fieldNames()).hasSameSizeAs(OptionGetters.of(ServerOptions.class));
    for (JsonObject json : List.of(changed.toJson(), new JsonObject(changed.toJson().encode()))) {
      ServerOptions read = new ServerOptions(json);
      assertThat(OptionGetters.differing(ServerOptions.class, read, changed)).as("options lost in toJson and back").isEmpty();
      assertThat(read.toJson()).isEqualTo(changed.toJson());
    }
    ServerOptions copy = new ServerOptions(changed);
    assertThat(OptionGetters.differing(ServerOptions.class, copy, changed)).as("options lost in the copy").isEmpty();
  }

  @Test
  void absentFieldsKeepTheirDefaults() {
    assertThat(new ServerOptions(new JsonObject()).toJson()).isEqualTo(new ServerOptions().toJson());
    assertThat(new ServerOptions((JsonObject) null).toJson()).isEqualTo(new ServerOptions().toJson());
    assertThat(new ServerOptions(new JsonObject().put("socketMode", "660")).getSocketMode()).isEqualTo(0660);
  }

  @Test
  void aMistypedFieldIsNamedWithTheExpectedType() {
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("instances", "2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server option instances must be a whole number in int range, was the string \"2\"");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("stopTimeoutMs", true)))
        .hasMessage("server option stopTimeoutMs must be a whole number in long range, was the boolean true");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("echoPrefix", 5)))
        .hasMessage("server option echoPrefix must be a string, was the number 5");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("allowUids", "1000")))
        .hasMessage("server option allowUids must be an array of whole numbers, was the string \"1000\"");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("allowUids", new io.vertx.core.json.JsonArray().add("x"))))
        .hasMessageContaining("server option allowUids must be an array of whole numbers");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("maxFrame", "big")))
        .hasMessageContaining("server option maxFrame must be a whole number");
  }

  @Test
  void aRefusedValueNamesTheFieldAndTheRule() {
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("handler", "http")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server option handler: unknown handler 'http': use echo or eventbus");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("framing", "line").put("echoPrefix", "a\nb")))
        .hasMessage("server option echoPrefix must not contain a newline with line framing");
    assertThatThrownBy(() -> new ServerOptions(new JsonObject().put("maxFrame", 0)))
        .hasMessage("server option maxFrame must be >= 1 byte, was 0");
  }

  @Test
  void settersRefuseBadValuesAndApplyNothing() {
    ServerOptions o = new ServerOptions();
    assertThatThrownBy(() -> o.setMaxFrame(0)).hasMessageContaining("maxFrame must be >= 1");
    assertThatThrownBy(() -> o.setPath("/tmp/" + "x".repeat(103))).hasMessageContaining("over the kernel's limit of 107");
    assertThatThrownBy(() -> o.setEchoPrefix("a\nb").setFraming(Framing.LINE))
        .hasMessageContaining("must not contain a newline with line framing");
    assertThat(o.getFraming()).isEqualTo(Framing.LENGTH);
    o.setEchoPrefix(ServerOptions.DEFAULT_ECHO_PREFIX);
    assertThat(o.toJson()).isEqualTo(new ServerOptions().toJson());
  }

  @Test
  void unknownFieldsAreIgnoredAndAMisspeltOneIsNamedInAWarn() {
    Logger logger = (Logger) LoggerFactory.getLogger(JsonFields.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      ServerOptions o = new ServerOptions(new JsonObject().put("count", 3).put("max-frame", 100).put("ECHOPREFIX", "x"));
      assertThat(o.toJson()).isEqualTo(new ServerOptions().toJson());
      assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactlyInAnyOrder(
          "server option 'max-frame' is not an option and is ignored; did you mean 'maxFrame'?",
          "server option 'ECHOPREFIX' is not an option and is ignored; did you mean 'echoPrefix'?");
    } finally {
      logger.detachAppender(appender);
    }
  }
}
