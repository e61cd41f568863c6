package dev.unixsocket.examples;

import dev.unixsocket.server.FrameHandler;
import dev.unixsocket.server.ServerOptions;
import dev.unixsocket.server.ServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * A main verticle for the server side, the usual Vert.x way: it answers frames as
 * {@link UppercaseHandler} does, on a consumer of its own, and deploys a {@link ServerVerticle}
 * with {@code --handler eventbus} as its child, both from its own JSON config. Why not deploy the
 * handler verticle beside the server: Vert.x undeploys sibling verticles at once (and
 * {@code vertx.close()} every verticle at once), so the handler would be gone while the server
 * still drains, and the frames it reads then would be answered {@code error:no handler}. A
 * verticle's children are undeployed before it: the server drains while this consumer answers.
 * Run it with the standard launcher:
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
    return vertx.eventBus().<Object>consumer(options.getInboundAddress(), UppercaseHandler::handle).completion()
        .compose(v -> vertx.deployVerticle(ServerVerticle.class.getName(), new DeploymentOptions().setConfig(options.toJson())));
  }
}
