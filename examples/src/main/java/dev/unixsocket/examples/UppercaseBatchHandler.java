package dev.unixsocket.examples;

import dev.unixsocket.server.ServerOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * {@link UppercaseHandler} for a server run with {@code --handler-batch N} (JSON
 * {@code "handlerBatch"}): each request carries the frames of one read as a {@code JsonArray} of
 * {@code Buffer}s, and the reply is a {@code JsonArray} as long, element {@code i} answering
 * frame {@code i}. One event-bus message each way for up to N frames instead of one per frame.
 *
 * <pre>
 * UDS_CLASSPATH=examples/target/uds-examples.jar ./uds server --path /tmp/app.sock \
 *   --handler eventbus --handler-batch 64 --deploy dev.unixsocket.examples.UppercaseBatchHandler
 * </pre>
 *
 * <p>Config: {@code address}, the server's inbound address (default {@code uds.server.inbound}).
 *
 * <p>A batch is answered as a whole: {@code fail} would answer every frame of it with an error
 * frame. So an empty frame is answered with the text {@code empty message} in its place, and the
 * rest of the batch as usual.
 */
public class UppercaseBatchHandler extends VerticleBase {

  /** The reply to an empty frame. */
  public static final String EMPTY_REPLY = "empty message";

  private static final Logger log = LoggerFactory.getLogger(UppercaseBatchHandler.class);

  @Override
  public Future<?> start() {
    String address = config().getString("address", ServerOptions.DEFAULT_INBOUND_ADDRESS);
    return vertx.eventBus().<JsonArray>consumer(address, this::handle).completion()
        .onSuccess(v -> log.info("answering batches of frames on {} in upper case", address));
  }

  private void handle(Message<JsonArray> message) {
    // The raw elements: JsonArray.getValue and its iterator would turn each Buffer into base64 text.
    List<?> frames = message.body().getList();
    JsonArray replies = new JsonArray(new java.util.ArrayList<>(frames.size()));
    for (Object frame : frames) {
      String text = ((Buffer) frame).toString(StandardCharsets.UTF_8);
      replies.add(text.isEmpty() ? EMPTY_REPLY : text.toUpperCase(Locale.ROOT));
    }
    message.reply(replies);
  }
}
