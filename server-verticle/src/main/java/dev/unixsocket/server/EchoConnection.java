package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * The echo handler: answers each frame with echo-prefix + payload. Frames are read in place from
 * Netty's pooled read buffers; replies up to 32 KiB are copied into one pooled buffer per read,
 * allocated once at the size the read's frames need; larger payloads go back out as a slice of
 * the read (no copy), and one still arriving is answered as it arrives ({@link #begin}); there is
 * one flush per read batch. {@link DirectEchoConnection} sends payloads of 4 KiB and more from
 * its shared read buffer without a slice ({@link #sendsInPlace}). A peer that does not read its replies
 * stops being read (the channel's write water marks) instead of growing our queue.
 *
 * <p>This class writes through the channel ({@link #write}, {@link #writePayload}, {@link #flush},
 * {@link #closeWhenFlushed}); {@link DirectEchoConnection} writes the same replies to the socket.
 */
class EchoConnection extends ServerConnection {

  /**
   * Replies up to this size are copied into the batch, larger payloads are sent as slices (unless
   * sent in place, {@link #sendsInPlace}): below
   * it a slice costs more than the copy (a pooled buffer for what follows it, two outbound entries
   * and NIO views on every writev, and the read buffer held until written, so that reads could
   * not be reused).
   */
  static final int COPY_MAX = 32 * 1024;
  /**
   * Payloads of at least this size are sent from where they were read where the connection can
   * ({@link #sendsInPlace}: the direct echo, for a frame whole in its shared read while its batch
   * is the shared reply buffer), as C's echo sends those over 4 KiB from its input.
   */
  static final int IN_PLACE_MIN = 4 * 1024;
  /** Batches stay within the pooled allocator's thread cache (see {@link ConnectionGroup#cachedBufferMax}). */
  static final int BATCH_MAX = ConnectionGroup.cachedBufferMax();

  /** Replies gathered during the current read batch; written and flushed at read complete. */
  private ByteBuf batch;
  /** Replies were written or gathered since the last flush. */
  private boolean unflushed;
  /** Payload bytes still to come of the frame whose reply is being streamed (see {@link #begin}); 0 if none. */
  private int streaming;
  /** Control frames written while a reply is being streamed: they go out after it. */
  private ByteBuf held;
  /** The frame being streamed began while replies waited for the peer: never read on for it. */
  private boolean streamBehind;

  EchoConnection(ConnectionGroup group, long id, Peer peer) {
    super(group, id, peer);
  }

  @Override
  void frame(ByteBuf data, int index, int length) {
    Framing framing = group.framing();
    unflushed = true;
    int frameBytes = framing.overhead() + length;
    int extra = group.prefix().readableBytes();
    int headRoom = framing.overhead() + extra;
    if (length >= IN_PLACE_MIN && sendsInPlace(data, batch, headRoom)) {
      if (batch == null) {
        newBatch(data.readableBytes(), frameBytes, extra, headRoom);
      }
      putHead(batch, length);
      payloadInPlace(batch, index, length);
      framing.writeTrailer(batch);
      return;
    }
    if (frameBytes + extra > Math.min(COPY_MAX, BATCH_MAX)) {
      // Large payload: the payload itself as a slice after the head; the trailer (line framing)
      // starts the batch for the rest of the read.
      writeHead(length);
      writePayload(data, index, length);
      if (framing != Framing.LENGTH) {
        newBatch(data.readableBytes() - frameBytes, frameBytes, extra, framing.overhead());
        framing.writeTrailer(batch);
      }
      return;
    }
    int room = frameBytes + extra;
    if (batch == null || batch.writableBytes() < room) {
      newBatch(data.readableBytes(), frameBytes, extra, room);
    }
    copyReply(batch, data, index, length);
  }

  /**
   * Writes the whole reply to a frame in {@code data} ({@code length} bytes of payload at
   * {@code index}) to {@code batch}, the current batch, which has room for it.
   */
  void copyReply(ByteBuf batch, ByteBuf data, int index, int length) {
    putHead(batch, length);
    batch.writeBytes(data, index, length);
    group.framing().writeTrailer(batch);
  }

  /**
   * Whether the payload of a frame in {@code data} can be sent from where it was read, in order
   * with the replies in {@code batch} (null if none yet) which needs {@code headRoom} bytes more
   * for this reply's head and trailer: not through a channel, which sends what it is given.
   */
  boolean sendsInPlace(ByteBuf data, ByteBuf batch, int headRoom) {
    return false;
  }

  /**
   * The payload of the reply whose head ends {@code batch} goes out from the read, {@code length}
   * bytes at {@code index}, uncopied; what is written to the batch next follows it. Only after
   * {@link #sendsInPlace} said yes.
   */
  void payloadInPlace(ByteBuf batch, int index, int length) {
    throw new UnsupportedOperationException();
  }

  /**
   * Writes the batch gathered so far with, at its end, the header and prefix of a reply whose
   * {@code length} bytes of payload the caller writes after it, uncopied.
   */
  private void writeHead(int length) {
    Framing framing = group.framing();
    ByteBuf prefix = group.prefix();
    int room = framing.overhead() + prefix.readableBytes();
    if (batch == null || batch.writableBytes() < room) {
      newBatch(0, framing.overhead() + length, prefix.readableBytes(), room);
    }
    putHead(batch, length);
    write(batch);
    batch = null;
  }

  /** Writes the header and prefix of a reply with {@code length} bytes of payload to {@code out}, which has room. */
  private void putHead(ByteBuf out, int length) {
    ByteBuf prefix = group.prefix();
    group.framing().writeHeader(out, prefix.readableBytes() + length);
    out.writeBytes(prefix, prefix.readerIndex(), prefix.readableBytes());
  }

  /**
   * A large frame (length framing, payload over {@link #COPY_MAX}) is answered as it arrives: the
   * reply's header and prefix now, then each part of the payload as it is read, from the read
   * itself. Its payload would go back out of the read buffers uncopied anyway; this way it is not
   * gathered first (no buffer or composite the frame's size per connection unless the peer does
   * not read; C's echo reads a large frame whole) and the peer reads the reply while it still
   * writes the frame. The peer may be read on to the frame's end while its replies wait
   * ({@link #mayReadOn()}). A frame that ends early (the peer ends its input, or the server closes
   * the connection at its drain timeout or stop) leaves its reply as short.
   */
  @Override
  boolean begin(ByteBuf data, int length) {
    if (group.framing() != Framing.LENGTH || length <= COPY_MAX) {
      return false;
    }
    streamBehind = repliesWait(); // before the reply's head joins what waits
    writeHead(length);
    unflushed = true;
    streaming = length;
    data.skipBytes(Framing.LENGTH.overhead());
    stream(data); // all of it: the frame is incomplete
    data.release();
    return true;
  }

  /** Replies wait for the peer to read them (the channel is over its write water mark). */
  boolean repliesWait() {
    return !ctx.channel().isWritable();
  }

  /**
   * A frame's reply is being streamed, the rest of the frame has not come, and no replies waited
   * for the peer when it began: the peer may be read on while its replies wait, so that a peer which
   * writes a whole frame before it reads any reply (a blocking client) can finish writing it. What
   * waits is then at most that frame, as when frames were gathered whole; a frame that begins
   * behind waiting replies is not read on for, so a peer that does not read stops being read.
   */
  boolean mayReadOn() {
    return streaming > 0 && !streamBehind;
  }

  @Override
  void read(ByteBuf in) {
    if (streaming > 0 && !closing) {
      stream(in);
      if (!in.isReadable()) {
        in.release();
        return;
      }
    }
    super.read(in);
  }

  /**
   * Writes the part of the streamed payload that {@code in} holds (from its reader index) and
   * skips it; the frame is complete once all has come.
   */
  private void stream(ByteBuf in) {
    int part = Math.min(streaming, in.readableBytes());
    if (part > 0) {
      unflushed = true;
      writePayload(in, in.readerIndex(), part);
      in.skipBytes(part);
      streaming -= part;
      // Its bytes are counted as they pass, the frame (and its header) once complete.
      framesRead(0, part);
    }
    if (streaming == 0) {
      completed(1, 0);
      if (held != null) {
        write(held);
        held = null;
      }
    }
  }

  @Override
  void writeControl(ByteBuf out) {
    if (streaming > 0) {
      // Not inside the reply being streamed: after it.
      held = held == null ? out : Unpooled.wrappedBuffer(held, out);
      return;
    }
    super.writeControl(out);
  }

  /**
   * Writes the batch so far (if any) and starts one sized for the replies to what is left of this
   * read: {@code readable} bytes from the current frame on, assumed to hold frames like it
   * ({@code frameBytes} each, answered with {@code extra} more bytes). One allocation per read
   * instead of starting small and doubling (a read of 16 x 1 KiB frames reallocated and copied
   * the batch four times); at most {@link #BATCH_MAX}, at least {@code room}.
   */
  private void newBatch(int readable, int frameBytes, int extra, int room) {
    if (batch != null) {
      write(batch);
    }
    long replies = (long) readable + (long) extra * (readable / Math.max(1, frameBytes) + 1);
    batch = newBatchBuffer((int) Math.max(room, Math.min(replies, BATCH_MAX)));
  }

  /** A buffer for a batch of replies with room for {@code capacity} bytes. */
  ByteBuf newBatchBuffer(int capacity) {
    return alloc().ioBuffer(capacity);
  }

  /** Lets go of a batch buffer that was not written (empty, or the connection is done). */
  void dropBatchBuffer(ByteBuf buffer) {
    buffer.release();
  }

  /** Queues replies behind those written before (sent at the next {@link #flush}); takes {@code out} over. */
  void write(ByteBuf out) {
    // Nobody listens: no promise per write; a failed write reaches exceptionCaught, which closes.
    ctx.write(out, ctx.voidPromise());
  }

  /** Queues a large payload, which stays in the read buffer {@code data}: a slice, no copy. */
  void writePayload(ByteBuf data, int index, int length) {
    ctx.write(data.retainedSlice(index, length), ctx.voidPromise());
  }

  /** Sends what was written. */
  void flush() {
    ctx.flush();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    super.channelRead(ctx, msg);
    // Large replies are queued as their frames are found: once they pass the water mark, end this
    // read loop now (Netty checks autoRead between reads) rather than after up to 16 more reads.
    if (!ctx.channel().isWritable() && ctx.channel().config().isAutoRead() && !mayReadOn()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  void framesRead(int frames, long payloadBytes) {
    super.framesRead(frames, payloadBytes);
    // Every frame read has its reply in the batch by now.
    group.stats().wrote(frames, payloadBytes + (long) frames * (group.framing().overhead() + group.prefix().readableBytes()));
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (unflushed) {
      flushBatch();
      if (!ctx.channel().isWritable() && !mayReadOn()) {
        ctx.channel().config().setAutoRead(false);
      }
    }
    ctx.fireChannelReadComplete();
  }

  /** Sends the replies of the reads so far: the batch, and what was written before it. */
  void flushBatch() {
    ByteBuf out = batch;
    batch = null;
    unflushed = false;
    if (out != null && out.isReadable()) {
      write(out);
    } else if (out != null) {
      dropBatchBuffer(out);
    }
    flush();
  }

  /** Replies were gathered or written since the last flush. */
  boolean unflushed() {
    return unflushed;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && !closing) {
      ctx.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  void closeWhenAnswered() {
    if (closing) {
      return;
    }
    closing = true;
    // Every frame read so far has its reply in the batch: flush it, close once it is written.
    closeWhenFlushed();
  }

  /** Stops reading, sends the batch and what was written before it, then closes. */
  void closeWhenFlushed() {
    ctx.channel().config().setAutoRead(false);
    flushBatch();
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    super.handlerRemoved(ctx);
    releaseBatch();
  }

  void releaseBatch() {
    if (batch != null) {
      dropBatchBuffer(batch);
      batch = null;
    }
    if (held != null) {
      held.release();
      held = null;
    }
  }
}
