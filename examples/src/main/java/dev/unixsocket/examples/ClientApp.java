package dev.unixsocket.examples;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.client.ClientVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * A main verticle for the client side: it deploys a {@link ClientVerticle} and then a
 * {@link TickSender} that sends over it, both from its own JSON config. Run it with the
 * standard launcher:
 *
 * <pre>
 * java -cp launcher/target/uds.jar:examples/target/uds-examples.jar \
 *   dev.unixsocket.launcher.Main dev.unixsocket.examples.ClientApp -conf '{"path":"/tmp/app.sock","count":5}'
 * </pre>
 *
 * <p>Config: the {@link ClientOptions} JSON fields ({@code path}, {@code framing},
 * {@code reconnectInitialDelayMs}, ...) plus the sender's {@code count}, {@code intervalMs} and
 * {@code text} (see {@link TickSender}).
 */
public class ClientApp extends VerticleBase {

  @Override
  public Future<?> start() {
    ClientOptions options;
    try {
      options = new ClientOptions(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    JsonObject senderConfig = new JsonObject().put("address", options.getSendAddress());
    for (String key : new String[] {"count", "intervalMs", "text", "timeoutMs", "doneAddress"}) {
      if (config().containsKey(key)) {
        senderConfig.put(key, config().getValue(key));
      }
    }
    // The client first: its send address must be registered before the first tick.
    return vertx.deployVerticle(ClientVerticle.class.getName(), new DeploymentOptions().setConfig(options.toJson()))
        .compose(id -> vertx.deployVerticle(TickSender.class.getName(), new DeploymentOptions().setConfig(senderConfig)));
  }
}
