package dev.unixsocket.client;

import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.Control;
import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connected socket, with everything that belongs to it alone: the frames written on it and
 * not yet answered ({@link ReplyMatcher}), the decoder's partial frame, the pending hello, the
 * reason it was lost. Created on connect and dropped with the socket, never reused, so nothing
 * from one connection can leak into the next.
 *
 * <p>Writing: frames queued during one event-loop turn go out in one socket write of at most
 * {@code maxBatchBytes} (Vert.x makes one syscall per write); writing pauses while the socket's
 * write queue is full and resumes on drain. A draining connection writes no more queued frames
 * but still takes replies. Reading: each frame answers the oldest frame in flight, which
 * completes itself. On loss, the frames in flight fail or go back to the head of the queue.
 * Event loop only.
 */
final class Connection {

  // The client's one logger: operators and the console's quiet switch know it by this name.
  private static final Logger log = LoggerFactory.getLogger(ClientVerticle.class);

  /** What a connection tells its owner. */
  interface Listener {
    /** A frame arrived: the connection proved itself, so the outage is over. */
    void proven();

    /**
     * The socket closed and what was in flight is settled.
     *
     * @param proven a frame arrived on it, or it stayed open {@value ClientVerticle#PROVEN_AFTER_MS} ms
     */
    void lost(Connection connection, String reason, boolean proven);
  }

  private final NetSocket socket;
  private final Shared shared;
  private final Listener listener;
  private final String path;
  private final Framing framing;
  private final int maxBatchBytes;
  private final ReplyMatcher<Outbound> inFlight = new ReplyMatcher<>();
  private final FrameReader reader;
  private final long connectedAtNanos = System.nanoTime();
  /** False once the client is done with it (closed, or the client stopped): late events are ignored. */
  private boolean live = true;
  /** Something must go first on this connection, before any queued frame (the hello message). */
  private boolean openPending;
  private boolean draining;
  /**
   * The server said GOAWAY and we answered DONE: it answers everything it read before closing,
   * so whatever is unanswered at the close was never read.
   */
  private boolean departed;
  private boolean flushScheduled;
  private boolean proven;
  private String lossReason;
  /** Frames decoded from the read being handled: counted once per read. */
  private int framesInChunk;

  Connection(NetSocket socket, Shared shared, Listener listener) {
    this.socket = socket;
    this.shared = shared;
    this.listener = listener;
    ClientOptions options = shared.options();
    this.path = options.getPath();
    this.framing = options.getFraming();
    this.maxBatchBytes = options.getMaxBatchBytes();
    // Each payload is copied out of the read: a reply may wait in a batch across later reads,
    // and a clustered event bus may encode it after this call returns.
    this.reader = new FrameReader(framing, options.getMaxFrame(),
        (data, index, length) -> onFrame(BufferInternal.buffer(data.copy(index, length))),
        (code, data, index, length) -> onControl(code));
    // Length framing: HELLO first on every connection, so that the server may send control frames.
    this.openPending = shared.hello() != null || framing == Framing.LENGTH;
    socket.handler(this::onData);
    socket.drainHandler(v -> flush());
    socket.exceptionHandler(this::onSocketError);
    socket.closeHandler(v -> onClosed());
  }

  // ---- writing -------------------------------------------------------------------------------

  /**
   * Flushes once at the end of this event-loop turn rather than per message: everything queued
   * meanwhile goes out in one write.
   *
   * @return false when this connection is no longer live (nothing will be written on it)
   */
  boolean scheduleFlush() {
    if (!live) {
      return false;
    }
    if (!flushScheduled) {
      flushScheduled = true;
      shared.context().runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
    return true;
  }

  /**
   * Writes what opens the connection, then queued frames, in writes of at most maxBatchBytes,
   * until the socket pushes back (the drain handler calls this again) or the queue is empty.
   */
  void flush() {
    if (!live) {
      return;
    }
    OutboundQueue<Outbound> queue = shared.queue();
    ClientStats stats = shared.stats();
    while (!socket.writeQueueFull() && (openPending || (!draining && !queue.isEmpty()))) {
      Buffer batch = Buffer.buffer(Math.min(maxBatchBytes, 4096));
      int frames = 0;
      if (openPending) {
        openPending = false;
        frames += open(batch);
      }
      if (!draining) {
        frames += takeQueued(queue, batch);
      }
      socket.write(batch).onFailure(this::onSocketError);
      stats.writes.increment();
      stats.framesOut.add(frames);
      stats.bytesOut.add(batch.length());
    }
    stats.snapshot(queue.size(), inFlight.size());
  }

  /**
   * What goes first on every connection, before any queued frame: HELLO (length framing; a
   * control frame, so no reply is expected), then the hello message if one is configured.
   */
  private int open(Buffer batch) {
    if (framing == Framing.LENGTH) {
      framing.appendControl(batch, Control.HELLO, Buffer.buffer(new byte[] {(byte) Control.VERSION}));
    }
    if (shared.hello() == null) {
      return 0;
    }
    append(new Outbound.Hello(shared.hello()), batch);
    return 1;
  }

  /** Moves queued frames into {@code batch} while they fit in maxBatchBytes (the first one always does). */
  private int takeQueued(OutboundQueue<Outbound> queue, Buffer batch) {
    int overhead = framing.overhead();
    int frames = 0;
    for (Outbound next = queue.peek();
         next != null && (batch.length() == 0 || batch.length() + next.payload().length() + overhead <= maxBatchBytes);
         next = queue.peek()) {
      queue.poll();
      if (next.abandoned()) {
        continue; // its batch already failed: nobody is waiting for this frame's reply
      }
      append(next, batch);
      frames++;
    }
    return frames;
  }

  private void append(Outbound o, Buffer batch) {
    framing.appendChecked(o.payload(), batch);
    inFlight.written(o);
  }

  /**
   * Writes no more queued frames on this connection (they wait for the next one) while replies
   * to those in flight are still taken: for a server that is going away.
   */
  void startDraining() {
    draining = true;
  }

  // ---- reading -------------------------------------------------------------------------------

  private void onData(Buffer chunk) {
    if (!live) {
      return; // a late read from a connection already given up
    }
    shared.stats().bytesIn.add(chunk.length());
    try {
      decode(chunk);
    } catch (FrameTooLargeException e) {
      // It is the reply to the oldest frame in flight: the server read and answered that one, so
      // it is not in doubt, and sent again it would only bring back a reply as large.
      Outbound answered = inFlight.claim();
      if (answered != null) {
        shared.failures().failAll(List.of(answered), ClientFailure.FRAME_TOO_LARGE,
            "frame too large: reply of " + e.length() + " bytes exceeds max-frame " + e.maxFrame());
      }
      badFrame(e);
    } catch (BadFrameException e) {
      badFrame(e);
    } finally {
      // Counters and the monitoring snapshot once per read, not per frame.
      if (framesInChunk > 0) {
        shared.stats().framesIn.add(framesInChunk);
        framesInChunk = 0;
        shared.stats().snapshotInFlight(inFlight.size());
      }
    }
  }

  /**
   * The stream cannot be resynchronised: write nothing more here (later messages wait for the
   * next connection), close, and let the close settle what is still in flight.
   */
  private void badFrame(BadFrameException e) {
    log.warn("{}: server sent a {}; closing the connection", path, e.getMessage());
    lossReason = "server sent a " + e.getMessage();
    startDraining();
    socket.close();
  }

  /** Cuts a read into frames, each handed to {@link #onFrame}: the one place that knows the decoder. */
  private void decode(Buffer chunk) {
    reader.read(chunk);
  }

  /**
   * A control frame from the server. GOAWAY: it is draining; write nothing more here (the queue
   * keeps what comes, for the next connection), confirm with DONE, keep taking replies.
   */
  private void onControl(Control code) {
    if (code == Control.GOAWAY) {
      if (departed) {
        return;
      }
      startDraining();
      departed = true;
      Buffer done = Buffer.buffer(4);
      framing.appendControl(done, Control.DONE, Buffer.buffer());
      socket.write(done).onFailure(this::onSocketError);
      log.info("{}: server is going away: writing no more here; {} message(s) still to be answered", path, inFlight.size());
    } else {
      log.warn("{}: server sent an unexpected control frame {}; closing the connection", path, code);
      lossReason = "unexpected control frame " + code;
      socket.close();
    }
  }

  private void onFrame(Buffer frame) {
    if (!proven) {
      proven = true;
      listener.proven();
    }
    framesInChunk++;
    Outbound answered = inFlight.claim();
    if (answered == null) {
      shared.inbound().publish(frame, ClientVerticle.ORIGIN_UNSOLICITED);
    } else {
      answered.complete(frame, shared.inbound());
    }
  }

  // ---- loss ----------------------------------------------------------------------------------

  private void onSocketError(Throwable e) {
    if (!live) {
      return;
    }
    log.debug("{}: socket error: {}", path, e.toString());
    if (lossReason == null) {
      lossReason = ConnectionWatchdog.describe(e);
    }
    socket.close(); // the close handler settles what was in flight
  }

  private void onClosed() {
    if (!live) {
      return;
    }
    live = false;
    long openMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectedAtNanos);
    String reason = lossReason != null ? lossReason : departed ? "drained by the server (GOAWAY)" : "closed by server";
    settleInFlight(reason, unansweredNeverRead());
    listener.lost(this, reason, proven || openMs >= ClientVerticle.PROVEN_AFTER_MS);
  }

  /**
   * Whether the server is known not to have read the frames still unanswered. Only a server's
   * announced departure can tell (GOAWAY answered with DONE): it answers every frame it read
   * before it closes.
   */
  private boolean unansweredNeverRead() {
    return departed;
  }

  /** The server drained this connection (GOAWAY, DONE): reconnect at once, nothing is in doubt. */
  boolean departed() {
    return departed;
  }

  /**
   * Frames written on this lost connection and not answered: put back at the head of the queue,
   * in order, when the server never read them or the policy is {@link InFlightOnLoss#RESEND};
   * failed with {@link ClientFailure#CONNECTION_LOST} otherwise. The hello is neither: the next
   * connection sends its own.
   */
  private void settleInFlight(String reason, boolean neverRead) {
    boolean resend = neverRead || shared.options().getInFlightOnLoss() == InFlightOnLoss.RESEND;
    List<Outbound> again = new ArrayList<>();
    List<Outbound> failed = new ArrayList<>();
    for (Outbound o : inFlight.drain()) {
      if (o.resendable()) {
        (resend ? again : failed).add(o);
      }
    }
    OutboundQueue<Outbound> queue = shared.queue();
    queue.requeueFirst(again);
    shared.failures().failAll(failed, ClientFailure.CONNECTION_LOST, "connection lost; delivery unknown (" + reason + ")");
    queue.removeIf(Outbound::abandoned); // the rest of a batch that just failed: never written
    if (!again.isEmpty()) {
      log.info("{}: {} unanswered message(s) will be sent again after reconnect", path, again.size());
    }
    shared.stats().snapshot(queue.size(), 0);
  }

  /** The client stops: fails what is in flight with {@code code}; later events are ignored. */
  void abandon(int code, String text) {
    live = false;
    shared.failures().failAll(inFlight.drain(), code, text);
  }

  Future<Void> close() {
    return socket.close().otherwiseEmpty();
  }
}
