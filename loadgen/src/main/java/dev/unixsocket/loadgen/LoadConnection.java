package dev.unixsocket.loadgen;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One load connection: keeps {@code pipeline} frames in flight, checks that the replies, in
 * order, are exactly prefix + payload of the frames sent, and records each reply's latency.
 *
 * <p>Replies are verified as they stream in, against the payload each frame was built from
 * (recomputed from its sequence number, see {@link Payloads}): nothing is kept, re-assembled or
 * copied, so a 64 KiB reply split over many reads costs only the comparison. New frames are
 * written as replies complete, all those of one read batch into one buffer, one write and one
 * flush per batch.
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

  // The reply being received.
  private int headerBytes;
  private int header;
  private long bodyLength = -1;
  private long bodyPos;
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
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
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
    if (framing == Framing.LENGTH) {
      out.writeInt(payloads.size());
    }
    payloads.write(out, nextSeq);
    if (framing == Framing.LINE) {
      out.writeByte('\n');
    }
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
    ByteBuf in = (ByteBuf) msg;
    try {
      now = System.nanoTime();
      if (framing == Framing.LENGTH) {
        readLength(ctx, in);
      } else {
        readLine(ctx, in);
      }
    } finally {
      in.release();
    }
  }

  private void readLength(ChannelHandlerContext ctx, ByteBuf in) {
    int i = in.readerIndex();
    int end = in.writerIndex();
    while (i < end && !closing) {
      if (bodyLength < 0) {
        if (headerBytes == 0 && end - i >= 4) {
          header = in.getInt(i);
          i += 4;
          headerBytes = 4;
        } else {
          header = (header << 8) | (in.getByte(i++) & 0xff);
          headerBytes++;
        }
        if (headerBytes < 4) {
          continue;
        }
        headerBytes = 0;
        if (!startReply(ctx, Integer.toUnsignedLong(header))) {
          return;
        }
        if (bodyLength > 0) {
          continue;
        }
      } else {
        int take = (int) Math.min(end - i, bodyLength - bodyPos);
        if (!bad) {
          check(in, i, take);
        }
        bodyPos += take;
        i += take;
      }
      if (bodyPos == bodyLength) {
        completeReply(ctx);
      }
    }
  }

  private void readLine(ChannelHandlerContext ctx, ByteBuf in) {
    int i = in.readerIndex();
    int end = in.writerIndex();
    while (i < end && !closing) {
      if (bodyLength < 0 && !startReply(ctx, -1)) {
        return;
      }
      int nl = in.indexOf(i, end, (byte) '\n');
      int stop = nl < 0 ? end : nl;
      int take = stop - i;
      if (!bad) {
        if (bodyPos + take > expectedLength) {
          mismatch("reply longer than the " + expectedLength + " bytes expected");
        } else {
          check(in, i, take);
        }
      }
      bodyPos += take;
      i = stop;
      if (nl >= 0) {
        i++;
        if (!bad && bodyPos != expectedLength) {
          mismatch("reply of " + bodyPos + " bytes, expected " + expectedLength);
        }
        completeReply(ctx);
      }
    }
  }

  /** A reply begins; {@code length} is its announced body length, or -1 when not announced. */
  private boolean startReply(ChannelHandlerContext ctx, long length) {
    if (inFlight == 0) {
      fail(ctx, "connection " + id + ": a reply arrived with no frame in flight");
      return false;
    }
    bodyPos = 0;
    bad = false;
    bodyLength = length < 0 ? Long.MAX_VALUE : length;
    if (length >= 0 && length != expectedLength) {
      mismatch("reply announces " + length + " bytes, expected " + expectedLength
          + " (prefix " + prefix.length + " + payload " + payloads.size() + ")");
    }
    return true;
  }

  /** Compares {@code len} reply bytes at {@code idx} with the expected body at {@link #bodyPos}. */
  private void check(ByteBuf in, int idx, int len) {
    long pos = bodyPos;
    if (pos + len > expectedLength) {
      len = (int) (expectedLength - pos); // the length mismatch is already recorded
      if (len <= 0) {
        return;
      }
    }
    int p = prefix.length;
    if (pos < p) {
      int n = (int) Math.min(len, p - pos);
      for (int k = 0; k < n; k++) {
        if (in.getByte(idx + k) != prefix[(int) pos + k]) {
          mismatchAt(pos + k, prefix[(int) pos + k], in.getByte(idx + k));
          return;
        }
      }
      idx += n;
      pos += n;
      len -= n;
    }
    if (len > 0) {
      long seq = sentSeq[head];
      int at = payloads.mismatch(in, idx, seq, (int) (pos - p), len);
      if (at >= 0) {
        mismatchAt(p + at, payloads.byteAt(seq, at), in.getByte(idx + (at - (int) (pos - p))));
      }
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
    bodyLength = -1;
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
    inFlight = 0;
    finish();
    ctx.fireChannelInactive();
  }
}
