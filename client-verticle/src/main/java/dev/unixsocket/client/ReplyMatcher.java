package dev.unixsocket.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Pairs server frames with the messages they answer. The server answers every frame exactly
 * once and in order, so the frames written on a connection form a FIFO: each frame from the
 * server answers the oldest entry still outstanding. Entries are the verticle's
 * {@link Outbound} messages, which remember who is waiting for the reply (or nobody, for a
 * {@code send}). Belongs to one connection at a time: drained when the connection drops. Not
 * thread-safe: used from the verticle's event loop only.
 */
final class ReplyMatcher<E> {

  private final ArrayDeque<E> written = new ArrayDeque<>();

  /** Records that {@code entry}'s frame was handed to the socket, after every earlier one. */
  void written(E entry) {
    written.addLast(entry);
  }

  /**
   * The entry a just-received frame answers, removed from the outstanding ones; {@code null}
   * when nothing is outstanding (the frame answers no message of ours).
   */
  E claim() {
    return written.pollFirst();
  }

  /** Removes and returns every outstanding entry, oldest first: the connection carrying them is gone. */
  List<E> drain() {
    List<E> all = new ArrayList<>(written);
    written.clear();
    return all;
  }

  int size() {
    return written.size();
  }
}
