package dev.unixsocket.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The console's messages in flight. Requests go out in the order typed; results are printed in
 * that same order (a reply on stdout, a failure on stderr naming the message), whatever order
 * they complete in. Thread-safe: lines come from the main thread, results from the event loop.
 */
final class ConsoleSession {

  /**
   * The client verticle answers every message with a reply or a failure, so the event-bus
   * timeout only guards against a client that is gone: a day, not the default 30 s, which
   * would fail a message that is merely queued while the server restarts.
   */
  private static final long REQUEST_TIMEOUT_MS = TimeUnit.DAYS.toMillis(1);
  /** Local only: on a cluster, another node's client may consume the same send address. */
  private static final DeliveryOptions DELIVERY = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS).setLocalOnly(true);

  private static final class Pending {
    final long number;
    final String text;
    Future<Message<Object>> result;

    Pending(long number, String text) {
      this.number = number;
      this.text = text;
    }
  }

  private final Vertx vertx;
  private final String sendAddress;
  private final PrintStream out;
  private final PrintStream err;
  private final String name;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long sent;
  private long replied;
  private long failed;

  ConsoleSession(Vertx vertx, String sendAddress, PrintStream out, PrintStream err, String name) {
    this.vertx = vertx;
    this.sendAddress = sendAddress;
    this.out = out;
    this.err = err;
    this.name = name;
  }

  void send(String text) {
    Pending p;
    synchronized (this) {
      p = new Pending(++sent, text);
      pending.addLast(p);
    }
    Future<Message<Object>> f = vertx.eventBus().request(sendAddress, text, DELIVERY);
    synchronized (this) {
      p.result = f;
    }
    f.onComplete(ar -> printDue());
  }

  /** Prints, in order, every result at the head that is complete. */
  private synchronized void printDue() {
    Pending head;
    while ((head = pending.peekFirst()) != null && head.result != null && head.result.isComplete()) {
      pending.pollFirst();
      if (head.result.succeeded()) {
        replied++;
        out.println(head.result.result().body());
      } else {
        failed++;
        err.println(name + ": message " + head.number + " '" + abbreviate(head.text) + "' failed: " + describe(head.result.cause()));
      }
    }
    out.flush();
    if (pending.isEmpty()) {
      notifyAll();
    }
  }

  /** Waits until every message has its result, or the time is up; true when all were replied. */
  synchronized boolean awaitOutstanding(long time, TimeUnit unit) {
    long deadline = System.nanoTime() + unit.toNanos(time);
    printDue();
    while (!pending.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      printDue();
    }
    // Those behind the first unanswered one may have their result already: they are not unanswered.
    long unanswered = pending.stream().filter(p -> p.result == null || !p.result.isComplete()).count();
    if (unanswered > 0) {
      err.println(name + ": " + unanswered + " message(s) still unanswered after " + unit.toSeconds(time) + " s");
    }
    return pending.isEmpty() && failed == 0;
  }

  synchronized void printSummary() {
    err.println(name + ": " + sent + " sent, " + replied + " replied, " + failed + " failed"
        + (pending.isEmpty() ? "" : ", " + pending.size() + " unanswered"));
  }

  private static String describe(Throwable t) {
    if (t instanceof ReplyException) {
      ReplyException re = (ReplyException) t;
      return re.getMessage() + " (code " + re.failureCode() + ")";
    }
    return Failures.describe(t);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
