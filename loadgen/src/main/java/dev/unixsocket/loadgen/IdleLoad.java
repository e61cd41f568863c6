package dev.unixsocket.loadgen;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.unixsocket.loadgen.Figures.nanos;
import static dev.unixsocket.loadgen.Figures.round;

/**
 * The idle mode: opens N connections, sends nothing and holds them, to see what a connection
 * costs the server (its RSS growth per connection with {@code --server-pid}) and that it keeps
 * them all open.
 */
final class IdleLoad {

  private final LoadSettings s;
  private final PrintWriter err;

  IdleLoad(LoadSettings settings, PrintWriter err) {
    this.s = settings;
    this.err = err;
  }

  JsonObject run() throws InterruptedException {
    AtomicLong closedByServer = new AtomicLong();
    AtomicLong unexpected = new AtomicLong();
    ServerProcess server = s.serverPid() != null ? new ServerProcess(s.serverPid()) : null;
    Long rssBefore = null;
    Integer fdsBefore = null;
    if (server != null) {
      rssBefore = server.rssKiB();
      fdsBefore = server.openFds();
    }
    EventLoopGroup group = Connector.newGroup(s.threads() != null ? s.threads()
        : Math.min(2, Runtime.getRuntime().availableProcessors()));
    try {
      long t0 = System.nanoTime();
      Connector.Connected c = new Connector(s.path()).connectAll(group, s.connections(),
          i -> new IdleConnection(closedByServer, unexpected), true);
      double connectSecs = (System.nanoTime() - t0) / 1e9;
      int opened = c.channels.size();
      err.printf(Locale.ROOT, "bench: idle: %d of %d connections open in %.1f s%s%n", opened, s.connections(),
          connectSecs, c.failed > 0 ? " (" + c.failed + " failed: " + c.firstFailure + ")" : "");
      err.flush();
      Long rssAfter = null;
      if (server != null) {
        server.awaitAccepted(fdsBefore, opened);
        rssAfter = server.rssKiB();
        err.printf(Locale.ROOT, "bench: idle: server RSS %,d KiB -> %,d KiB%n", rssBefore, rssAfter);
        err.flush();
      }
      hold(t0, opened, closedByServer);
      long stillOpen = c.channels.stream().filter(Channel::isActive).count();
      Connector.closeAll(c.channels, ch -> {
        IdleConnection h = ch.pipeline().get(IdleConnection.class);
        if (h != null) {
          h.closing();
        }
      });
      long errors = c.failed + (opened - stillOpen) + unexpected.get();
      JsonObject r = s.header(0)
          .put("opened", opened)
          .put("failed", c.failed)
          .put("open", stillOpen)
          .put("connectSeconds", round(connectSecs, 2));
      if (rssBefore != null && rssAfter != null) {
        r.put("serverPid", server.pid())
            .put("rssBeforeKiB", rssBefore)
            .put("rssAfterKiB", rssAfter)
            .put("rssPerConnectionBytes", opened == 0 ? 0 : Math.round((rssAfter - rssBefore) * 1024.0 / opened));
      }
      r.put("errors", errors);
      String firstError = c.firstFailure;
      if (firstError == null && stillOpen < opened) {
        firstError = (opened - stillOpen) + " connections closed by the server while idle";
      }
      if (firstError == null && unexpected.get() > 0) {
        firstError = "the server sent data on " + unexpected.get() + " reads of idle connections";
      }
      if (firstError != null) {
        r.put("firstError", firstError);
      }
      return r;
    } finally {
      Connector.shutdown(group);
    }
  }

  /** Holds the connections for the duration, with a line on stderr once a second. */
  private void hold(long t0, int opened, AtomicLong closedByServer) throws InterruptedException {
    long holdEnd = System.nanoTime() + nanos(s.duration());
    long nextTick = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (System.nanoTime() < holdEnd) {
      TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(nextTick, holdEnd) - System.nanoTime()));
      if (System.nanoTime() >= nextTick && System.nanoTime() < holdEnd) {
        nextTick += TimeUnit.SECONDS.toNanos(1);
        err.printf(Locale.ROOT, "bench: %4.0fs idle     %d open%n", (System.nanoTime() - t0) / 1e9,
            opened - closedByServer.get());
        err.flush();
      }
    }
  }
}
