package dev.unixsocket.server;

import java.util.Locale;

/** What the server does with each frame it receives. */
public enum FrameHandler {
  /** Answers each frame at once with echo-prefix + payload. */
  ECHO,
  /**
   * Sends each frame as an event-bus request to the inbound address and writes the reply back;
   * replies leave in the order the frames came in.
   */
  EVENTBUS;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static FrameHandler of(String name) {
    if (name != null) {
      for (FrameHandler h : values()) {
        if (h.name().equalsIgnoreCase(name.trim().replace("-", ""))) {
          return h;
        }
      }
    }
    throw new IllegalArgumentException("unknown handler '" + name + "': use echo or eventbus");
  }
}
