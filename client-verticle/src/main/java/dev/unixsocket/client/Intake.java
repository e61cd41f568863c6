package dev.unixsocket.client;

import dev.unixsocket.wire.Framing;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Takes messages from the send address. Every body, and every element of a batch, passes the
 * same checks ({@link #payload}): a type the client can send, at most max-frame bytes, allowed
 * by the framing. What fails them, or finds the queue full, is refused at once with a
 * {@link ClientFailure} code and never queued; a batch is admitted whole or refused whole.
 * Event loop only.
 */
final class Intake {

  /** The element index of a message that is not a batch, for {@link #payload}. */
  static final int SINGLE = -1;

  private final OutboundQueue<Outbound> queue;
  private final Failures failures;
  private final Framing framing;
  private final int maxFrame;
  /** Told after each admission: whoever writes the queue schedules a write. */
  private final Runnable admitted;
  /** Once the client stopped or gave up: the code and text every later message fails with. */
  private int closedCode;
  private String closedText;

  Intake(ClientOptions options, OutboundQueue<Outbound> queue, Failures failures, Runnable admitted) {
    this.queue = queue;
    this.failures = failures;
    this.framing = options.getFraming();
    this.maxFrame = options.getMaxFrame();
    this.admitted = admitted;
  }

  /** From now on, every message fails with {@code code} (the client stopped, or gave up). */
  void close(int code, String text) {
    closedCode = code;
    closedText = text;
  }

  /** The send address's handler. */
  void accept(Message<Object> message) {
    Object body = message.body();
    if (closedText != null) {
      failures.refuse(message, closedCode, closedText, 1);
      return;
    }
    if (body instanceof JsonArray) {
      acceptBatch(message, ((JsonArray) body).getList());
      return;
    }
    Buffer payload;
    try {
      payload = payload(body, SINGLE);
    } catch (Refused r) {
      failures.refuse(message, r.code, r.getMessage(), 1);
      return;
    }
    if (!queue.offer(Outbound.of(payload, message))) {
      failures.refuse(message, ClientFailure.QUEUE_FULL, "queue full (capacity " + queue.capacity() + ")", 1);
      return;
    }
    admitted.run();
  }

  /**
   * A batch: one frame per element, admitted whole or refused whole (a bad element, or not
   * enough room in the queue for all of them); answered by its {@link Batch}. {@code elements}
   * are the raw ones: JsonArray.getValue and its iterator would turn a Buffer into base64 text.
   */
  private void acceptBatch(Message<Object> message, List<?> elements) {
    int n = elements.size();
    Buffer[] payloads = new Buffer[n];
    for (int i = 0; i < n; i++) {
      try {
        payloads[i] = payload(elements.get(i), i);
      } catch (Refused r) {
        failures.refuse(message, r.code, r.getMessage(), n);
        return;
      }
    }
    if (n == 0) {
      if (message.replyAddress() != null) {
        message.reply(new JsonArray(), Outbound.REPLY_OPTIONS);
      }
      return;
    }
    if (queue.remaining() < n) {
      failures.refuse(message, ClientFailure.QUEUE_FULL, "queue full (capacity " + queue.capacity()
          + "): no room for a batch of " + n + " frames", n);
      return;
    }
    Batch batch = new Batch(message.replyAddress() != null ? message : null, n);
    for (int i = 0; i < n; i++) {
      queue.offer(new Outbound.BatchPart(payloads[i], batch, i));
    }
    admitted.run();
  }

  /**
   * The one check of a body: its payload as one frame, or why it cannot be one.
   *
   * @param element its index in a batch, or {@link #SINGLE}; it only changes the wording
   * @throws Refused with {@link ClientFailure#BAD_BODY} or {@link ClientFailure#FRAME_TOO_LARGE}
   */
  Buffer payload(Object body, int element) throws Refused {
    Buffer payload = payloadOf(body);
    if (payload == null) {
      String type = body == null ? "null" : body.getClass().getName();
      throw new Refused(ClientFailure.BAD_BODY, element == SINGLE
          ? "bad body: " + type + " is not supported; send a Buffer, String or JsonObject"
          : "bad body: batch element " + element + " is a " + type + "; batch elements must be Buffer, String or JsonObject");
    }
    if (payload.length() > maxFrame) {
      throw new Refused(ClientFailure.FRAME_TOO_LARGE, element == SINGLE
          ? "frame too large: " + payload.length() + " bytes exceeds max-frame " + maxFrame
          : "frame too large: batch element " + element + " is " + payload.length() + " bytes, exceeds max-frame " + maxFrame);
    }
    try {
      framing.check(payload); // framed later, straight into the socket write
    } catch (IllegalArgumentException e) {
      throw new Refused(ClientFailure.BAD_BODY, element == SINGLE
          ? "bad body: " + e.getMessage()
          : "bad body: batch element " + element + ": " + e.getMessage());
    }
    return payload;
  }

  private static Buffer payloadOf(Object body) {
    if (body instanceof Buffer) {
      return (Buffer) body;
    }
    if (body instanceof String) {
      return Buffer.buffer(((String) body).getBytes(StandardCharsets.UTF_8));
    }
    if (body instanceof JsonObject) {
      return ((JsonObject) body).toBuffer();
    }
    return null;
  }

  /** A body that cannot go out as a frame: the failure code, and the reason as the message. */
  static final class Refused extends Exception {
    final int code;

    Refused(int code, String text) {
      super(text, null, false, false); // no stack trace: an answer to the sender, not a bug
      this.code = code;
    }
  }
}
