package dev.unixsocket.loadgen;

import dev.unixsocket.loadgen.BenchCommand.Mode;
import dev.unixsocket.wire.Framing;
import io.vertx.core.json.JsonObject;

/**
 * What a socket-load or idle run is asked to do: {@code uds bench}'s options, already checked.
 *
 * @param threads event-loop threads of the load generator, or null for the mode's default
 * @param serverPid the server's process id, or null when not given
 */
record LoadSettings(String path, Framing framing, Mode mode, int connections, int pipeline, int size,
    double warmup, double duration, String expectPrefix, Integer threads, Long serverPid) {

  /** The fields every result starts with, so that a JSON line says what was measured. */
  JsonObject header(int inFlight) {
    JsonObject h = new JsonObject()
        .put("mode", mode.name())
        .put("path", path)
        .put("framing", framing.label())
        .put("connections", connections);
    if (mode != Mode.idle) {
      h.put("pipeline", inFlight).put("size", size).put("warmupSeconds", warmup);
    }
    return h.put("durationSeconds", duration);
  }
}
