package dev.unixsocket.client;

import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;

/**
 * Reports messages that cannot be delivered: each fails with a {@link ClientFailure} code and is
 * counted in {@link ClientStats} by the frames it would have been; a message sent without a
 * reply address cannot be told, so its failure is logged at WARN instead. Nothing is dropped
 * without a word.
 */
final class Failures {

  // The client's one logger: operators and the console's quiet switch know it by this name.
  private static final Logger log = LoggerFactory.getLogger(ClientVerticle.class);

  private final ClientStats stats;
  private final String path;

  Failures(ClientStats stats, String path) {
    this.stats = stats;
    this.path = path;
  }

  /** Fails a message refused at the door; {@code frames} is how many frames it would have been. */
  void refuse(Message<?> message, int code, String text, int frames) {
    stats.failed(code, frames);
    if (message.replyAddress() != null) {
      message.fail(code, text);
    } else {
      log.warn("{}: a message sent without a reply address failed ({}): {}", path, ClientFailure.name(code), text);
    }
  }

  /** Fails frames that were queued or in flight; a batch fails once, counted as all its frames. */
  void failAll(Collection<? extends Outbound> items, int code, String text) {
    int frames = 0;
    int unreplyable = 0;
    for (Outbound o : items) {
      int counted = o.fail(code, text);
      if (counted > 0) {
        frames += counted;
        if (!o.replyable()) {
          unreplyable++;
        }
      }
    }
    stats.failed(code, frames);
    if (unreplyable > 0) {
      log.warn("{}: {} message(s) sent without a reply address failed ({}): {}", path, unreplyable,
          ClientFailure.name(code), text);
    }
  }
}
