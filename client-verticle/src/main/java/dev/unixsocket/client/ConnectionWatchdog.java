package dev.unixsocket.client;

import io.netty.channel.unix.Errors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.net.ConnectException;
import java.net.SocketException;

/**
 * Keeps the client connected (after Lettuce's {@code ConnectionWatchdog}): connects, and after a
 * failed connect or a lost connection schedules the next attempt with {@link Backoff} on a
 * Vert.x timer (one timer at most; none after stop), until {@code reconnectAttempts} run out.
 * Owns the {@link ConnectionState}: every change goes through {@link #transition}, which logs
 * {@code from -> to (reason)} and publishes the status JSON. Event loop only.
 */
final class ConnectionWatchdog implements Connection.Listener {

  // The client's one logger: operators and the console's quiet switch know it by this name.
  private static final Logger log = LoggerFactory.getLogger(ClientVerticle.class);

  // Linux errno values, negated as Netty's native exceptions report them. Read as literals:
  // touching Netty's Errors class would load the epoll native library even on NIO.
  private static final int ENOENT_NEGATIVE = -2;
  private static final int ECONNREFUSED_NEGATIVE = -111;

  private final Vertx vertx;
  private final Shared shared;
  private final NetClient netClient;
  private final Backoff backoff;
  private final Intake intake;
  private final String path;

  private ConnectionState state = ConnectionState.DISCONNECTED;
  /** The live connection; {@code null} unless CONNECTED. */
  private Connection current;
  /** Reconnect attempt scheduled, under way or last made in this outage; 0 when none. */
  private int attempt;
  private long nextRetryMs = -1;
  private long timerId = -1;
  private boolean stopped;

  ConnectionWatchdog(Vertx vertx, Shared shared, NetClient netClient, Backoff backoff, Intake intake) {
    this.vertx = vertx;
    this.shared = shared;
    this.netClient = netClient;
    this.backoff = backoff;
    this.intake = intake;
    this.path = shared.options().getPath();
  }

  /** The intake queued a message: the live connection writes it at the end of this turn. */
  void admitted() {
    if (current == null || !current.scheduleFlush()) {
      shared.stats().snapshotQueued(shared.queue().size()); // while connected, the flush updates it
    }
  }

  void connect() {
    timerId = -1;
    if (stopped) {
      return;
    }
    nextRetryMs = -1;
    if (attempt > 0) {
      shared.stats().reconnectAttempts.increment();
    }
    transition(ConnectionState.CONNECTING, attempt == 0 ? "connecting" : "reconnect attempt " + attempt);
    netClient.connect(SocketAddress.domainSocketAddress(path)).onComplete(ar -> {
      if (stopped) {
        if (ar.succeeded()) {
          ar.result().close();
        }
      } else if (ar.succeeded()) {
        onConnected(ar.result());
      } else {
        onConnectFailed(ar.cause());
      }
    });
  }

  private void onConnected(NetSocket socket) {
    Connection connection = new Connection(socket, shared, this);
    current = connection;
    shared.stats().connects.increment();
    transition(ConnectionState.CONNECTED, attempt == 0 ? "connected" : "connected on reconnect attempt " + attempt);
    connection.flush();
  }

  private void onConnectFailed(Throwable cause) {
    String reason;
    if (serverNotUp(cause)) {
      reason = "server not up yet: " + describe(cause);
    } else {
      reason = "cannot connect: " + describe(cause);
      log.warn("{}: {}", path, reason);
    }
    scheduleReconnect(reason);
  }

  @Override
  public void proven() {
    attempt = 0; // the outage is over: the next one starts counting afresh
  }

  @Override
  public void lost(Connection connection, String reason, boolean proven) {
    if (connection != current) {
      return;
    }
    current = null;
    if (proven) {
      attempt = 0;
    }
    if (connection.departed() && attempt == 0) {
      // A graceful stop or a takeover: the next server may already listen. Once at once; if
      // that connect fails, the backoff as usual.
      transition(ConnectionState.DISCONNECTED, "connection lost: " + reason + "; reconnecting at once");
      connect();
      return;
    }
    scheduleReconnect("connection lost: " + reason);
  }

  /** Counts a failed connect or a lost connection, then schedules the next attempt or gives up. */
  private void scheduleReconnect(String reason) {
    int limit = shared.options().getReconnectAttempts();
    if (limit >= 0 && attempt >= limit) {
      giveUp(reason);
      return;
    }
    attempt++;
    nextRetryMs = backoff.delayMillis(attempt);
    transition(ConnectionState.DISCONNECTED, reason);
    if (timerId != -1) {
      // Cannot happen (connect clears it first); never let two timers race.
      vertx.cancelTimer(timerId);
    }
    timerId = vertx.setTimer(nextRetryMs, id -> connect());
  }

  private void giveUp(String reason) {
    nextRetryMs = -1;
    String message = "no connection to " + path + " after " + attempt + " reconnect attempts (last: " + reason + ")";
    intake.close(ClientFailure.ATTEMPTS_EXHAUSTED, message);
    transition(ConnectionState.DISCONNECTED, "gave up after " + attempt + " reconnect attempts; last: " + reason);
    shared.failures().failAll(shared.queue().drain(), ClientFailure.ATTEMPTS_EXHAUSTED, message);
    shared.stats().snapshot(0, 0);
  }

  /**
   * The client stops: no more attempts, everything in flight or queued fails with
   * {@link ClientFailure#STOPPED}, STOPPED is published.
   *
   * @return completes when the socket, if any, is closed
   */
  Future<Void> stop() {
    stopped = true;
    if (timerId != -1) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    Connection connection = current;
    current = null;
    if (connection != null) {
      connection.abandon(ClientFailure.STOPPED, "client stopped");
    }
    shared.failures().failAll(shared.queue().drain(), ClientFailure.STOPPED, "client stopped");
    shared.stats().snapshot(0, 0);
    nextRetryMs = -1;
    transition(ConnectionState.STOPPED, "client stopped");
    return connection == null ? Future.succeededFuture() : connection.close();
  }

  /** The one place the state changes: logged as {@code from -> to (reason)} and published. */
  private void transition(ConnectionState to, String reason) {
    ConnectionState from = state;
    state = to;
    if (to == ConnectionState.CONNECTING) {
      log.debug("{}: {} -> {} ({})", path, from, to, reason);
    } else if (to == ConnectionState.DISCONNECTED && nextRetryMs >= 0) {
      log.info("{}: {} -> {} ({}); attempt {} in {} ms", path, from, to, reason, attempt, nextRetryMs);
    } else {
      log.info("{}: {} -> {} ({})", path, from, to, reason);
    }
    vertx.eventBus().publish(shared.options().getStatusAddress(), new JsonObject()
        .put("state", to.name())
        .put("path", path)
        .put("attempt", attempt)
        .put("nextRetryMs", nextRetryMs)
        .put("reason", reason));
  }

  /** The live connection, or {@code null}: for tests that act on it. */
  Connection current() {
    return current;
  }

  /**
   * A missing socket file or a refused connection: the server is not (yet, or no longer)
   * listening. Epoll reports {@link FileNotFoundException} and Netty's
   * {@code AnnotatedConnectException}; NIO a {@link SocketException} "No such file or directory"
   * and a {@link ConnectException}.
   */
  static boolean serverNotUp(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof FileNotFoundException || t instanceof ConnectException) {
        return true;
      }
      if (t instanceof Errors.NativeIoException) {
        int err = ((Errors.NativeIoException) t).expectedErr();
        if (err == ENOENT_NEGATIVE || err == ECONNREFUSED_NEGATIVE) {
          return true;
        }
      }
      if (t instanceof SocketException && String.valueOf(t.getMessage()).contains("No such file or directory")) {
        return true;
      }
    }
    return false;
  }

  /** A failure as a short reason for logs and status events. */
  static String describe(Throwable t) {
    if (t instanceof FileNotFoundException) {
      return "no socket file"; // epoll's FileNotFoundException carries no message
    }
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }
}
