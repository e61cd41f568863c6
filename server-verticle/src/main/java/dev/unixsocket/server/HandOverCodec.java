package dev.unixsocket.server;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * The codec of the event-bus handler's requests on a non-clustered event bus: hands the body
 * over as it is. Vert.x's own codecs copy a body for every local delivery ({@code Buffer.copy()},
 * and a {@code JsonArray} deeply, each {@code Buffer} in it); the server makes a fresh body per
 * request and never touches it again, so the consumer may have it. Never used for a clustered
 * event bus, where a consumer on another node could not decode it.
 */
final class HandOverCodec implements MessageCodec<Object, Object> {

  static final String NAME = "uds.server.hand-over";

  private static final HandOverCodec INSTANCE = new HandOverCodec();

  /** Registers the codec once per Vert.x instance (several servers may share one). */
  static synchronized void registerIn(EventBus eventBus) {
    try {
      eventBus.registerCodec(INSTANCE);
    } catch (IllegalStateException alreadyRegistered) {
      // another server verticle of this Vert.x registered it
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, Object body) {
    throw new UnsupportedOperationException(NAME + " is for local delivery only");
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException(NAME + " is for local delivery only");
  }

  @Override
  public Object transform(Object body) {
    return body;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
