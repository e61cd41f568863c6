package dev.unixsocket.server;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Hands an event-bus body over as it is, on a non-clustered event bus. Vert.x's own codecs copy
 * a body for every local delivery ({@code Buffer.copy()}, and a {@code JsonArray} deeply, each
 * {@code Buffer} in it). The server sends its requests to the handler with this codec: it makes
 * a fresh body per request and never touches it again, so the consumer may have it. A handler may
 * reply with it too ({@link #replyOptions}) when it lets go of its reply body: the server only
 * reads it. Never used on a clustered event bus, where the other side could not decode it.
 */
public final class HandOverCodec implements MessageCodec<Object, Object> {

  /** The codec's name in {@code DeliveryOptions.setCodecName}. */
  public static final String NAME = "uds.server.hand-over";

  private static final HandOverCodec INSTANCE = new HandOverCodec();

  /** Registers the codec once per Vert.x instance (several servers may share one). */
  static synchronized void registerIn(EventBus eventBus) {
    try {
      eventBus.registerCodec(INSTANCE);
    } catch (IllegalStateException alreadyRegistered) {
      // another server verticle of this Vert.x registered it
    }
  }

  /**
   * Options for a handler's replies that skip Vert.x's copy of the reply body: the body must not
   * be touched after {@code reply}. Get them once (in {@code start}) and reuse them; do not
   * change them. On a clustered event bus, where the server may be on another node, plain
   * options (Vert.x's codecs).
   */
  public static DeliveryOptions replyOptions(Vertx vertx) {
    if (vertx.isClustered()) {
      return new DeliveryOptions();
    }
    registerIn(vertx.eventBus());
    return new DeliveryOptions().setCodecName(NAME);
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
