package dev.unixsocket.loadgen;

import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One load connection: keeps {@code pipeline} frames in flight, checks that the replies, in
 * order, are exactly prefix + payload of the frames sent, and records each reply's latency.
 *
 * <p>Replies are found with the wire codec's {@link FrameReader} and verified in place against
 * the payload each frame was built from (recomputed from its sequence number, see
 * {@link Payloads}): nothing is kept once checked, and a 64 KiB reply split over many reads is
 * gathered as a composite of those reads, not copied. New frames are written as replies
 * complete, all those of one read batch into one buffer, one write and one flush per batch.
 *
 * <p>Runs only on its channel's event loop.
 */
final class LoadConnection extends ChannelInboundHandlerAdapter {

  private final int id;
  private final Framing framing;
  private final byte[] prefix;
  private final Payloads payloads;
  private final LoadRun run;
  /** prefix + payload: the reply body every frame should get. */
  private final long expectedLength;

  private final int frameLength;

  // Frames in flight, oldest at head.
  private final long[] sentAt;
  private final long[] sentSeq;
  private int head;
  private int inFlight;
  private long nextSeq;

  private final FrameReader reader;
  private ChannelHandlerContext ctx;
  /** The reply being checked does not match. */
  private boolean bad;

  private LoopStats stats;
  private long now;
  /** Frames written since the last flush, in one buffer. */
  private ByteBuf out;
  private int batchReplies;
  private boolean finished;
  private boolean closing;
  private boolean reportedMismatch;

  LoadConnection(int id, Framing framing, byte[] prefix, Payloads payloads, int pipeline, LoadRun run) {
    this.id = id;
    this.framing = framing;
    this.prefix = prefix;
    this.payloads = payloads;
    this.run = run;
    this.expectedLength = (long) prefix.length + payloads.size();
    this.frameLength = payloads.size() + framing.overhead();
    this.sentAt = new long[pipeline];
    this.sentSeq = new long[pipeline];
    // Room for a reply of another length than expected, so that it is reported as a mismatch.
    int maxReply = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(Framing.DEFAULT_MAX_FRAME, 2 * expectedLength));
    this.reader = new FrameReader(framing, maxReply, this::reply);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    stats = run.statsFor(ctx.channel().eventLoop());
    now = System.nanoTime();
    while (inFlight < sentAt.length) {
      send(ctx);
    }
    flush(ctx);
    ctx.fireChannelActive();
  }

  private void send(ChannelHandlerContext ctx) {
    if (out == null) {
      // Room for every frame this batch can send (at most one per free slot and reply), within reason.
      int frames = Math.max(1, Math.min(sentAt.length - inFlight + 16, (256 * 1024) / Math.max(1, frameLength)));
      out = ctx.alloc().directBuffer(frames * frameLength);
    }
    framing.writeHeader(out, payloads.size());
    payloads.write(out, nextSeq);
    framing.writeTrailer(out);
    int tail = (head + inFlight) % sentAt.length;
    sentAt[tail] = now;
    sentSeq[tail] = nextSeq++;
    inFlight++;
  }

  private void flush(ChannelHandlerContext ctx) {
    if (out != null) {
      ctx.writeAndFlush(out, ctx.voidPromise());
      out = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    now = System.nanoTime();
    try {
      reader.read((ByteBuf) msg, ctx.alloc()); // releases the read
    } catch (BadFrameException e) {
      fail(ctx, "connection " + id + ": the server sent a " + e.getMessage());
    }
  }

  /** One whole reply: {@code length} bytes of {@code in} at {@code index}. */
  private void reply(ByteBuf in, int index, int length) {
    if (closing) {
      return;
    }
    if (inFlight == 0) {
      fail(ctx, "connection " + id + ": a reply arrived with no frame in flight");
      return;
    }
    bad = false;
    if (length != expectedLength) {
      mismatch("reply " + (framing == Framing.LENGTH ? "announces " : "of ") + length + " bytes, expected "
          + expectedLength + " (prefix " + prefix.length + " + payload " + payloads.size() + ")");
    } else {
      check(in, index);
    }
    completeReply(ctx);
  }

  /** Compares a reply of the expected length at {@code idx} with prefix + payload. */
  private void check(ByteBuf in, int idx) {
    int p = prefix.length;
    for (int k = 0; k < p; k++) {
      if (in.getByte(idx + k) != prefix[k]) {
        mismatchAt(k, prefix[k], in.getByte(idx + k));
        return;
      }
    }
    long seq = sentSeq[head];
    int at = payloads.mismatch(in, idx + p, seq, 0, payloads.size());
    if (at >= 0) {
      mismatchAt(p + at, payloads.byteAt(seq, at), in.getByte(idx + p + at));
    }
  }

  private void mismatchAt(long pos, byte expected, byte actual) {
    mismatch("byte " + pos + " is " + show(actual) + ", expected " + show(expected)
        + " (reply must be '" + new String(prefix, java.nio.charset.StandardCharsets.UTF_8) + "' + payload)");
  }

  private static String show(byte b) {
    int c = b & 0xff;
    return c >= 0x20 && c < 0x7f ? "'" + (char) c + "'" : String.format("0x%02x", c);
  }

  private void mismatch(String why) {
    bad = true;
    if (!reportedMismatch) {
      reportedMismatch = true;
      run.error("reply " + sentSeq[head] + " on connection " + id + " does not match: " + why);
    }
  }

  private void completeReply(ChannelHandlerContext ctx) {
    long t0 = sentAt[head];
    head = (head + 1) % sentAt.length;
    inFlight--;
    batchReplies++;
    int phase = run.phase;
    if (bad) {
      stats.mismatches++;
    } else {
      stats.verified++;
      if (phase == LoadRun.MEASURE) {
        stats.latency.recordValue(Math.max(1, now - t0));
        stats.measured++;
      }
    }
    if (phase != LoadRun.DRAIN) {
      send(ctx);
    } else if (inFlight == 0) {
      finish();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    stats.replies += batchReplies; // volatile: once per batch, not per reply
    batchReplies = 0;
    flush(ctx);
  }

  /** Called on the event loop once the run enters {@link LoadRun#DRAIN}. */
  void drainIfIdle() {
    if (inFlight == 0) {
      finish();
    }
  }

  /** Frames sent whose replies have not arrived. */
  int inFlight() {
    return inFlight;
  }

  /** We are closing the connection ourselves: not an error. */
  void closing() {
    closing = true;
  }

  private void finish() {
    if (!finished) {
      finished = true;
      run.done.countDown();
    }
  }

  private void fail(ChannelHandlerContext ctx, String why) {
    if (!closing) {
      closing = true;
      reader.close();
      run.otherErrors.incrementAndGet();
      run.error(why);
      ctx.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx, "connection " + id + ": " + BenchCommand.describe(cause));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!closing) {
      closing = true;
      run.otherErrors.incrementAndGet();
      run.error("connection " + id + " closed by the server with " + inFlight + " frames unanswered");
    }
    if (out != null) {
      out.release();
      out = null;
    }
    reader.close();
    inFlight = 0;
    finish();
    ctx.fireChannelInactive();
  }
}
