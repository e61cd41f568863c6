package dev.unixsocket.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The event-bus handler: each frame becomes a request to the inbound address, with headers
 * naming the connection and its peer; the reply body becomes the answering frame. With
 * {@code handlerBatch} > 1, a batch of frames becomes one request ({@link #forwardBatch}).
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
  /** On a non-clustered event bus: the codec that hands request bodies over without a copy. */
  private final String codec;
  /**
   * A connection's requests share one set of delivery options, headers included: Vert.x copies
   * the headers into every message it delivers locally, and encodes them for a remote one, but
   * a tracer or an outbound interceptor writes into the sent message's headers, which are these.
   * So not with a tracer, and no longer once an interceptor is seen to have added one.
   */
  private boolean shareHeaders;

  EventBusForwarder(EventBus eventBus, ConnectionGroup group, MeterRegistry registry) {
    this.eventBus = eventBus;
    this.latency = registry == null ? null : Timer.builder("uds.server.handler.latency")
        .description("Time from a frame's event-bus request to its reply or failure")
        .tags("path", group.path(), "address", group.options().getInboundAddress())
        .register(registry);
    this.group = group;
    this.address = group.options().getInboundAddress();
    this.errorPrefix = Buffer.buffer(group.options().getErrorPrefix());
    boolean local = !group.context().owner().isClustered();
    if (local) {
      HandOverCodec.registerIn(eventBus);
    }
    this.codec = local ? HandOverCodec.NAME : null;
    this.shareHeaders = group.context().tracer() == null;
  }

  void forward(Buffer frame, ForwardingConnection connection, OrderedReplies.Slot slot) {
    long started = latency == null ? 0 : System.nanoTime();
    DeliveryOptions delivery = delivery(connection);
    eventBus.<Object>request(address, frame, delivery).onComplete(ar -> {
      recordLatency(started);
      Buffer reply;
      if (ar.succeeded()) {
        reply = replyPayload(ar.result().body());
      } else {
        group.stats().handlerFailures.increment();
        reply = failurePayload(ar.cause(), connection);
      }
      connection.replies().complete(slot, reply);
    });
    checkShared(delivery, connection);
  }

  /**
   * Sends the frames of a batch as one request whose body is a JsonArray of them; its reply must
   * be a JsonArray as long, element i answering frame i. Anything else, a failure or a timeout
   * answers every frame of the batch with the same error frame.
   */
  void forwardBatch(List<Buffer> frames, ForwardingConnection connection, OrderedReplies.Slot slot) {
    int n = frames.size();
    long started = latency == null ? 0 : System.nanoTime();
    DeliveryOptions delivery = delivery(connection);
    eventBus.<Object>request(address, new JsonArray(frames), delivery).onComplete(ar -> {
      recordLatency(started);
      Buffer[] replies = new Buffer[n];
      String wrong = ar.succeeded() ? batchReplies(ar.result().body(), replies) : null;
      if (ar.failed() || wrong != null) {
        group.stats().handlerFailures.add(n);
        Buffer error = ar.failed() ? failurePayload(ar.cause(), connection) : errorPayload("bad batch reply: " + wrong);
        if (wrong != null) {
          log.debug("{}: answering a batch of {} with error frames: bad batch reply: {}", connection.name(), n, wrong);
        }
        Arrays.fill(replies, error);
      }
      connection.replies().complete(slot, replies);
    });
    checkShared(delivery, connection);
  }

  /**
   * Fills {@code replies} from a batch reply; returns what is wrong with it, or null. An element
   * that the framing cannot carry gets an error frame of its own, like a single reply.
   */
  private String batchReplies(Object body, Buffer[] replies) {
    if (!(body instanceof JsonArray)) {
      return (body == null ? "null" : "a " + body.getClass().getName()) + " where a JsonArray of "
          + replies.length + " replies was due";
    }
    // The raw elements: JsonArray.getValue would turn a Buffer into base64 text.
    List<?> elements = ((JsonArray) body).getList();
    if (elements.size() != replies.length) {
      return elements.size() + " replies for a batch of " + replies.length + " frames";
    }
    for (int i = 0; i < replies.length; i++) {
      Object element = elements.get(i);
      if (!(element instanceof Buffer || element instanceof String || element instanceof JsonObject)) {
        return "element " + i + " is " + (element == null ? "null" : "a " + element.getClass().getName())
            + "; elements must be Buffer, String or JsonObject";
      }
    }
    for (int i = 0; i < replies.length; i++) {
      replies[i] = replyPayload(elements.get(i));
    }
    return null;
  }

  /** The headers naming the connection and its peer, the request timeout and the codec. */
  private DeliveryOptions delivery(ForwardingConnection connection) {
    if (!shareHeaders) {
      return newDelivery(connection);
    }
    DeliveryOptions shared = connection.delivery;
    if (shared == null) {
      shared = newDelivery(connection);
      connection.delivery = shared;
    }
    return shared;
  }

  private DeliveryOptions newDelivery(ForwardingConnection connection) {
    DeliveryOptions delivery = new DeliveryOptions()
        .setSendTimeout(group.options().getRequestTimeoutMs())
        .addHeader(InboundHeaders.CONNECTION, Long.toString(connection.id()))
        .addHeader(InboundHeaders.PATH, group.path());
    if (codec != null) {
      delivery.setCodecName(codec);
    }
    Peer peer = connection.peer();
    if (peer.known()) {
      delivery.addHeader(InboundHeaders.PEER_UID, Integer.toString(peer.uid()));
      if (peer.pid() >= 0) {
        delivery.addHeader(InboundHeaders.PEER_PID, Integer.toString(peer.pid()));
      }
    }
    return delivery;
  }

  /** After a request with shared options: headers added to them (an outbound interceptor) end the sharing. */
  private void checkShared(DeliveryOptions delivery, ForwardingConnection connection) {
    if (shareHeaders && entries(delivery.getHeaders()) != headerCount(connection.peer())) {
      shareHeaders = false;
      log.info("{}: request headers were changed on their way out (an outbound interceptor?): "
          + "building them per request from now on", group.path());
    }
  }

  /** Counts by iterating: MultiMap.size() builds a sorted set of the names. */
  private static int entries(MultiMap headers) {
    int n = 0;
    for (Map.Entry<String, String> ignored : headers) {
      n++;
    }
    return n;
  }

  private static int headerCount(Peer peer) {
    return 2 + (peer.known() ? 1 : 0) + (peer.known() && peer.pid() >= 0 ? 1 : 0);
  }

  private void recordLatency(long started) {
    if (latency != null) {
      latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  /** The reply's payload, checked: {@link OrderedReplies} frames it straight into the socket buffer. */
  private Buffer replyPayload(Object reply) {
    Buffer body = toBuffer(reply);
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
