package dev.unixsocket.launcher;

/** A step of {@code uds demo} that did not happen as it should: its message is the one line the user reads. */
final class DemoFailure extends RuntimeException {
  DemoFailure(String message) {
    super(message);
  }
}
