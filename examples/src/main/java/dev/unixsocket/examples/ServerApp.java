package dev.unixsocket.examples;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * A main verticle for the server side, the usual Vert.x way: it deploys {@link UppercaseHandler}
 * and then a {@link ServerVerticle} with {@code --handler eventbus}, both from its own JSON
 * config. Run it with the standard launcher:
 *
 * <pre>
 * java -cp launcher/target/uds.jar:examples/target/uds-examples.jar \
 *   dev.unixsocket.launcher.Main dev.unixsocket.examples.ServerApp -conf '{"path":"/tmp/app.sock","framing":"line"}'
 * </pre>
 *
 * <p>Config: the {@link ServerOptions} JSON fields ({@code path}, {@code framing},
 * {@code inboundAddress}, ...); {@code handler} is always {@code eventbus}. Undeploying it
 * undeploys both.
 */
public class ServerApp extends VerticleBase {

  @Override
  public Future<?> start() {
    ServerOptions options;
    try {
      options = new ServerOptions(config()).setHandler(FrameHandler.EVENTBUS);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    // The handler first, so that the first frame already finds it.
    JsonObject handlerConfig = new JsonObject().put("address", options.getInboundAddress());
    return vertx.deployVerticle(UppercaseHandler.class.getName(), new DeploymentOptions().setConfig(handlerConfig))
        .compose(id -> vertx.deployVerticle(ServerVerticle.class.getName(), new DeploymentOptions().setConfig(options.toJson())));
  }
}
