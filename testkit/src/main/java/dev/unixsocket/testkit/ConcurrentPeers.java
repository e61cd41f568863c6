package dev.unixsocket.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Several peers, each on a thread and a connection of its own, writing numbered frames
 * ({@code c<peer>-<i>}) in bursts and reading the replies of each burst before the next: what
 * a test of reply order across connections needs.
 */
public final class ConcurrentPeers {

  private ConcurrentPeers() {
  }

  /**
   * Runs {@code peers} peers of {@code frames} frames each, written a frame at a time in bursts of
   * {@code burst}; returns each peer's replies in the order they arrived.
   */
  public static List<List<String>> exchange(Path path, int peers, int frames, int burst) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(peers);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int k = 0; k < peers; k++) {
        int peer = k;
        results.add(pool.submit(() -> {
          try (BlockingClient c = BlockingClient.connect(path)) {
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < frames; i++) {
              c.writeFrame(frame(peer, i));
              if ((i + 1) % burst == 0 || i == frames - 1) {
                while (replies.size() <= i) {
                  replies.add(c.readFrame());
                }
              }
            }
            return replies;
          }
        }));
      }
      List<List<String>> all = new ArrayList<>();
      for (Future<List<String>> r : results) {
        all.add(r.get(30, TimeUnit.SECONDS));
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Frame {@code i} of peer {@code peer}. */
  public static String frame(int peer, int i) {
    return "c" + peer + "-" + i;
  }

  /** The replies peer {@code peer} is owed, in order, when each reply is {@code prefix} + its frame. */
  public static List<String> expected(String prefix, int peer, int frames) {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < frames; i++) {
      expected.add(prefix + frame(peer, i));
    }
    return expected;
  }
}
