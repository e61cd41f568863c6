package dev.unixsocket.launcher;

import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.VertxApplicationHooks;

/**
 * For {@code java -jar uds.jar <VerticleClass> -conf cfg.json}: the standard launcher, but on
 * the transport named by the config's {@code transport} field (default: epoll where available),
 * since the launcher alone would run on NIO.
 */
final class StandardLaunchHooks implements VertxApplicationHooks {

  private TransportChoice transport = TransportChoice.AUTO;

  @Override
  public JsonObject afterConfigParsed(JsonObject config) {
    if (config != null && config.getValue("transport") instanceof String) {
      transport = TransportChoice.of(config.getString("transport"));
    }
    return config;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    return Vertx.builder().with(options).withTransport(transport.resolve());
  }
}
