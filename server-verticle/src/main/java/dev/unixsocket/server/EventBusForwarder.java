package dev.unixsocket.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The event-bus handler: each frame becomes a request to the inbound address, with headers
 * naming the connection and its peer; the reply body becomes the answering frame.
 *
 * <p>A request that fails (the consumer calls {@code fail}, no consumer is registered, or it
 * does not answer within the request timeout) is answered with an error frame,
 * {@code errorPrefix + reason}, in its place in the order: the peer always gets exactly one
 * frame per frame, and a broken handler never stalls the replies behind it.
 */
final class EventBusForwarder {

  private static final Logger log = LoggerFactory.getLogger(EventBusForwarder.class);

  private final EventBus eventBus;
  private final ConnectionGroup group;
  private final String address;
  private final Buffer errorPrefix;

  /** Handler latency, when Vert.x runs with Micrometer metrics; null otherwise. */
  private final Timer latency;

  EventBusForwarder(EventBus eventBus, ConnectionGroup group, MeterRegistry registry) {
    this.eventBus = eventBus;
    this.latency = registry == null ? null : Timer.builder("uds.server.handler.latency")
        .description("Time from a frame's event-bus request to its reply or failure")
        .tags("path", group.path(), "address", group.options().getInboundAddress())
        .register(registry);
    this.group = group;
    this.address = group.options().getInboundAddress();
    this.errorPrefix = Buffer.buffer(group.options().getErrorPrefix());
  }

  void forward(Buffer frame, ForwardingConnection connection, OrderedReplies.Slot slot) {
    DeliveryOptions delivery = new DeliveryOptions()
        .setSendTimeout(group.options().getRequestTimeoutMs())
        .addHeader(InboundHeaders.CONNECTION, Long.toString(connection.id()))
        .addHeader(InboundHeaders.PATH, group.path());
    Peer peer = connection.peer();
    if (peer.known()) {
      delivery.addHeader(InboundHeaders.PEER_UID, Integer.toString(peer.uid()));
      if (peer.pid() >= 0) {
        delivery.addHeader(InboundHeaders.PEER_PID, Integer.toString(peer.pid()));
      }
    }
    long started = latency == null ? 0 : System.nanoTime();
    eventBus.<Object>request(address, frame, delivery).onComplete(ar -> {
      if (latency != null) {
        latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      }
      Buffer reply;
      if (ar.succeeded()) {
        reply = replyPayload(ar.result());
      } else {
        group.stats().handlerFailures.increment();
        reply = failurePayload(ar.cause(), connection);
      }
      connection.replies().complete(slot, reply);
    });
  }

  /** The reply's payload, checked: {@link OrderedReplies} frames it straight into the socket buffer. */
  private Buffer replyPayload(Message<Object> message) {
    Buffer body = toBuffer(message.body());
    try {
      group.framing().check(body);
    } catch (IllegalArgumentException e) {
      // A reply that line framing cannot carry: say so in its place rather than break the stream.
      group.stats().handlerFailures.increment();
      return errorPayload("reply cannot be framed: " + e.getMessage());
    }
    return body;
  }

  private Buffer failurePayload(Throwable cause, ForwardingConnection connection) {
    String reason;
    if (cause instanceof ReplyException) {
      ReplyException re = (ReplyException) cause;
      switch (re.failureType()) {
        case TIMEOUT:
          reason = "timeout: no reply from " + address + " within " + group.options().getRequestTimeoutMs() + " ms";
          break;
        case NO_HANDLERS:
          reason = "no handler: nothing consumes " + address;
          break;
        default:
          reason = "failed: " + re.failureCode() + " " + re.getMessage();
      }
    } else {
      reason = "failed: " + cause;
    }
    log.debug("{}: answering with an error frame: {}", connection.name(), reason);
    return errorPayload(reason);
  }

  /** An error reply's payload: the error prefix and the reason. */
  private Buffer errorPayload(String reason) {
    // Line framing cannot carry a newline: keep the reason on one line.
    Buffer payload = errorPrefix.copy().appendString(reason.replace('\n', ' '));
    group.framing().check(payload);
    return payload;
  }

  private static Buffer toBuffer(Object body) {
    if (body == null) {
      return Buffer.buffer();
    }
    if (body instanceof Buffer) {
      return (Buffer) body;
    }
    if (body instanceof String) {
      return Buffer.buffer((String) body);
    }
    if (body instanceof byte[]) {
      return Buffer.buffer((byte[]) body);
    }
    if (body instanceof JsonObject) {
      return ((JsonObject) body).toBuffer();
    }
    if (body instanceof JsonArray) {
      return ((JsonArray) body).toBuffer();
    }
    return Buffer.buffer(String.valueOf(body).getBytes(StandardCharsets.UTF_8));
  }
}
