package dev.unixsocket.client;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Failure codes of the {@link ClientVerticle}. A message that cannot be delivered fails its
 * request with a {@link ReplyException} of type {@link ReplyFailure#RECIPIENT_FAILURE}, one of
 * these {@link ReplyException#failureCode() codes}, and a message saying why. No message is
 * dropped without either a reply or one of these failures.
 *
 * <p>A message sent with {@code send} (no reply address) cannot be told: its failure is logged
 * at WARN instead.
 */
public final class ClientFailure {

  /**
   * The outbound queue holds {@code queueCapacity} messages waiting to be written; this one
   * was refused and never queued. Message: {@code queue full (capacity N)}. Safe to retry later.
   */
  public static final int QUEUE_FULL = 1001;

  /**
   * The payload is longer than {@code maxFrame}; it was refused at once, whatever the
   * connection state. Message: {@code frame too large: N bytes exceeds max-frame M}. Or the
   * server's reply to it was longer than {@code maxFrame}: the server processed it, the client
   * closed that connection and does not send it again. Message:
   * {@code frame too large: reply of N bytes exceeds max-frame M}.
   */
  public static final int FRAME_TOO_LARGE = 1002;

  /**
   * The frame was written, but the connection dropped before its reply arrived: the server may
   * or may not have processed it. Only with {@link InFlightOnLoss#FAIL} (the default); with
   * {@link InFlightOnLoss#RESEND} the message is sent again instead. Message:
   * {@code connection lost; delivery unknown (REASON)}.
   */
  public static final int CONNECTION_LOST = 1003;

  /**
   * The client verticle was undeployed while the message was queued or in flight, or the
   * message arrived while it was stopping. Message: {@code client stopped}.
   */
  public static final int STOPPED = 1004;

  /**
   * The body cannot be sent: not a Buffer, String or JsonObject, {@code null}, or (line
   * framing) a payload containing a newline. Never queued. Message: {@code bad body: DETAIL}.
   */
  public static final int BAD_BODY = 1005;

  /**
   * {@code reconnectAttempts} is bounded and every attempt failed: everything queued fails
   * with this code, and so does every later message (redeploy the client to try again).
   * Message: {@code no connection to PATH after N reconnect attempts (last: REASON)}.
   */
  public static final int ATTEMPTS_EXHAUSTED = 1006;

  private ClientFailure() {
  }

  /** The constant's name for a code ({@code QUEUE_FULL}, ...), or {@code code N} for any other. */
  public static String name(int code) {
    switch (code) {
      case QUEUE_FULL: return "QUEUE_FULL";
      case FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
      case CONNECTION_LOST: return "CONNECTION_LOST";
      case STOPPED: return "STOPPED";
      case BAD_BODY: return "BAD_BODY";
      case ATTEMPTS_EXHAUSTED: return "ATTEMPTS_EXHAUSTED";
      default: return "code " + code;
    }
  }

  /** The exception a requester receives for {@code code}. */
  public static ReplyException exception(int code, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message);
  }
}
