package dev.unixsocket.client;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

/**
 * Publishes server frames that answer no request on the inbound address, each with the
 * {@value ClientVerticle#ORIGIN_HEADER} header saying which message, if any, it answers.
 */
final class Inbound {

  private final EventBus eventBus;
  private final String address;
  // Built once: the header map is only read when sending.
  private final DeliveryOptions hello = origin(ClientVerticle.ORIGIN_HELLO);
  private final DeliveryOptions send = origin(ClientVerticle.ORIGIN_SEND);
  private final DeliveryOptions unsolicited = origin(ClientVerticle.ORIGIN_UNSOLICITED);

  Inbound(EventBus eventBus, String address) {
    this.eventBus = eventBus;
    this.address = address;
  }

  /** Publishes {@code body} (a frame, or a batch's JsonArray of frames) with one of the ORIGIN_* values. */
  void publish(Object body, String origin) {
    eventBus.publish(address, body, options(origin));
  }

  private DeliveryOptions options(String origin) {
    switch (origin) {
      case ClientVerticle.ORIGIN_HELLO: return hello;
      case ClientVerticle.ORIGIN_SEND: return send;
      case ClientVerticle.ORIGIN_UNSOLICITED: return unsolicited;
      default: throw new IllegalArgumentException("unknown origin " + origin);
    }
  }

  private static DeliveryOptions origin(String origin) {
    return new DeliveryOptions().addHeader(ClientVerticle.ORIGIN_HEADER, origin);
  }
}
