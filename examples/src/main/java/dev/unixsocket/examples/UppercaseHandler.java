package dev.unixsocket.examples;

import dev.unixsocket.server.ServerOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A server-side handler: answers every frame that reaches the server with its payload in upper
 * case. Run the server with {@code --handler eventbus} (or {@code "handler":"eventbus"}) and
 * deploy this verticle next to it; the server sends each frame here as an event-bus request and
 * writes the reply back as one frame.
 *
 * <p>Config: {@code address}, the server's inbound address (default {@code uds.server.inbound}).
 *
 * <p>An empty frame is refused with {@code fail(400, "empty message")}: the server then answers
 * the peer with the error frame {@code error:failed: 400 empty message}, in that frame's place.
 */
public class UppercaseHandler extends VerticleBase {

  /** The server's default inbound address. */
  public static final String DEFAULT_ADDRESS = ServerOptions.DEFAULT_INBOUND_ADDRESS;
  /** The failure code for an empty frame. */
  public static final int EMPTY = 400;

  private static final Logger log = LoggerFactory.getLogger(UppercaseHandler.class);

  @Override
  public Future<?> start() {
    String address = config().getString("address", DEFAULT_ADDRESS);
    // Deployed once the consumer is registered everywhere: no frame can find nobody home.
    return vertx.eventBus().<Object>consumer(address, UppercaseHandler::handle).completion()
        .onSuccess(v -> log.info("answering frames on {} in upper case", address));
  }

  /** Answers one frame; {@link ServerApp} registers it as its own consumer. */
  static void handle(Message<Object> message) {
    // The server sends a Buffer; other verticles may send a String.
    Object body = message.body();
    String text = body instanceof Buffer ? ((Buffer) body).toString(StandardCharsets.UTF_8) : String.valueOf(body);
    if (text.isEmpty()) {
      message.fail(EMPTY, "empty message");
      return;
    }
    // Headers set by the server: which connection, which socket, and the peer's uid/pid where known.
    log.debug("connection {} (uid {}, pid {}) on {}: {}", message.headers().get("uds.connection"),
        message.headers().get("uds.peer.uid"), message.headers().get("uds.peer.pid"), message.headers().get("uds.path"), text);
    message.reply(text.toUpperCase(Locale.ROOT));
  }
}
