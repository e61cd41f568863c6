package dev.unixsocket.examples;

import dev.unixsocket.server.HandOverCodec;
import dev.unixsocket.server.ServerOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cheapest handler there is: replies to every request with the body it got, a frame's
 * {@code Buffer} or, with {@code --handler-batch}, the batch's {@code JsonArray}, handed back
 * without Vert.x's copy ({@link HandOverCodec#replyOptions}). The server then answers every
 * frame with its own payload, like {@code uds server --echo-prefix ''}, but through the event
 * bus: {@code bench/handler} measures the handler path with it.
 *
 * <pre>
 * UDS_CLASSPATH=examples/target/uds-examples.jar ./uds server --path /tmp/app.sock \
 *   --handler eventbus [--handler-batch 64] --deploy dev.unixsocket.examples.ReplyBodyHandler
 * </pre>
 *
 * <p>Config: {@code address}, the server's inbound address (default {@code uds.server.inbound}).
 */
public class ReplyBodyHandler extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ReplyBodyHandler.class);

  @Override
  public Future<?> start() {
    String address = config().getString("address", ServerOptions.DEFAULT_INBOUND_ADDRESS);
    DeliveryOptions handOver = HandOverCodec.replyOptions(vertx);
    return vertx.eventBus().consumer(address, message -> message.reply(message.body(), handOver)).completion()
        .onSuccess(v -> log.info("replying to every request on {} with its body", address));
  }
}
