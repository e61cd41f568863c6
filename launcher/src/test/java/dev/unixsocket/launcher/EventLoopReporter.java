package dev.unixsocket.launcher;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * A handler verticle for {@code uds server --handler eventbus --deploy}: answers every frame with
 * the thread it runs on and how many Vert.x event-loop threads the process has started.
 */
public class EventLoopReporter extends VerticleBase {

  @Override
  public Future<?> start() {
    return vertx.eventBus().consumer("uds.server.inbound", m -> {
      long loops = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("vert.x-eventloop-thread-"))
          .count();
      m.reply(Thread.currentThread().getName() + " of " + loops);
    }).completion();
  }
}
