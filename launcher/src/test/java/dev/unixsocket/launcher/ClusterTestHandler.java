package dev.unixsocket.launcher;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;

/**
 * A handler verticle for the server's inbound address, run in its own JVM by the standard
 * launcher: answers {@code HANDLED:<payload>}, except payloads starting with {@code hold}, which
 * it keeps unanswered (a request in progress when the node dies). Says on stdout when it is
 * ready and when it holds one.
 */
public class ClusterTestHandler extends VerticleBase {

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Buffer>consumer("uds.server.inbound", m -> {
      String text = m.body().toString();
      if (text.startsWith("hold")) {
        System.out.println("holding " + text);
      } else {
        m.reply("HANDLED:" + text);
      }
    }).completion().onSuccess(v -> System.out.println("handler ready"));
  }
}
