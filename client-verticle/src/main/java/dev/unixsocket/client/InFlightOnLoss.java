package dev.unixsocket.client;

import java.util.Locale;

/**
 * What happens to messages already written to the socket, but not yet answered, when the
 * connection drops. Their delivery is unknown: the server may or may not have processed them.
 */
public enum InFlightOnLoss {
  /** Fail each with {@link ClientFailure#CONNECTION_LOST} (at most once). */
  FAIL,
  /** Put them back at the head of the queue, in order, and send them again after reconnect (at least once). */
  RESEND;

  /** The lower-case name used in JSON and on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code fail} or {@code resend}, in any case. */
  public static InFlightOnLoss of(String name) {
    if (name != null) {
      for (InFlightOnLoss v : values()) {
        if (v.name().equalsIgnoreCase(name.trim())) {
          return v;
        }
      }
    }
    throw new IllegalArgumentException("unknown in-flight-on-loss policy '" + name + "': use fail or resend");
  }
}
