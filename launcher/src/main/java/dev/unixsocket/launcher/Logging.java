package dev.unixsocket.launcher;

import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;

/** Adjustments to logging that depend on how the jar is used. */
final class Logging {

  private Logging() {
  }

  /**
   * Under our commands the Vert.x launcher's own lines ("Succeeded in deploying verticle", a
   * failure's stack trace) would repeat what we print as one line, so they are silenced.
   */
  static void quietVertxLauncher() {
    if (!"DEBUG".equalsIgnoreCase(System.getenv("UDS_LOG_LEVEL"))) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.vertx.launcher.application")).setLevel(Level.OFF);
    }
  }

  /**
   * Hazelcast's INFO lines (banner, partition tables) would bury ours; {@link MembershipLog} says
   * who joins and leaves. Its CP subsystem warns at every start that its structures (Vert.x's
   * cluster-wide locks and counters) lack strong consistency: uds uses neither.
   */
  static void quietHazelcast() {
    quiet("com.hazelcast");
    if (!"DEBUG".equalsIgnoreCase(System.getenv("UDS_LOG_LEVEL"))) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("com.hazelcast.cp.CPSubsystem")).setLevel(Level.ERROR);
    }
  }

  /** Shows only warnings and errors of one logger, unless UDS_LOG_LEVEL=DEBUG. */
  static void quiet(String loggerName) {
    if (!"DEBUG".equalsIgnoreCase(System.getenv("UDS_LOG_LEVEL"))) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(loggerName)).setLevel(Level.WARN);
    }
  }
}
