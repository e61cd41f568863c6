package dev.unixsocket.server;

import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * An echo connection on epoll that reads and writes its socket itself: the accepted channel is
 * never registered with a loop; its descriptor is, as this {@link EpollIoHandle} (Netty 4.2's API
 * for what is not a channel), on the group's event loop. What the echo does per frame is
 * {@link EchoConnection}'s; what goes is Netty's channel path per read (pipeline, outbound
 * buffer, promises), which made ours 0.7-0.8x the C echo with small frames where the same work
 * without it is at C's rate (bench/NOTES.md, "A connection without Netty's channel").
 *
 * <p>Reads: up to 16 per readiness event (level-triggered), as the receive-size allocator allows,
 * each of at most {@link #READ_MAX}, into a buffer the event loop's connections share; an incomplete
 * frame is copied out (a small one goes back in front of the next read, a larger one is gathered in
 * a buffer of its own), except a large frame of the length framing, answered as it arrives
 * ({@link EchoConnection#begin}: its parts go out from the shared buffer like any reply).
 * Writes: the replies of a read are built in a second shared buffer and go out before the next read,
 * with one {@code send}, or, where payloads of 4 KiB and more stay in the read buffer
 * ({@link ReplyPieces}), one {@code writev}; what the socket does not take is
 * copied out of the shared buffers to wait for {@code EPOLLOUT}, and the connection is not read
 * meanwhile (but for the rest of a frame being streamed, once the peer has taken nothing for
 * {@link #STALL_MS}): a peer that does not read its replies stops being read, and what waits is at
 * most one read's replies, or one large frame's. At end of input the replies still go out, then
 * the connection closes.
 */
final class DirectEchoConnection extends EchoConnection implements EpollIoHandle {

  private static final Logger log = LoggerFactory.getLogger(DirectEchoConnection.class);
  private static final EpollIoOps READ = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);
  /** Replies wait for room and the peer is read on: the rest of a stalled streamed frame is still to come. */
  private static final EpollIoOps READ_WRITE = READ.with(EpollIoOps.EPOLLOUT);
  /** Turns echo connections back into channels (an escape hatch; the tests use it to cover both). */
  static final String CHANNELS_PROPERTY = "unixsocket.server.echoChannels";
  /**
   * What one receive into the shared read buffer takes at most (when the buffer is larger, as with
   * uds's 256 KiB): a peer with more in flight is read in parts, and each part's replies are sent
   * before the next part is read, so that the peer reads them meanwhile instead of waiting for all
   * of them (16 KiB x 1 x 16: 0.64x C when all 256 KiB were read at once, 0.95 so; C's echo reads
   * 64-128 KiB). Above the 128 KiB that 4 x 32 KiB frames in flight come to: a smaller part leaves
   * a few bytes for a second receive (32 KiB x 4 x 4 at 128 KiB: 1.13 -> 0.81x C). 192 KiB rather
   * than 160 since payloads go out from the read uncopied (16 KiB x 4 x 16 0.93 -> 0.97, 256 KiB x
   * 1 x 16 0.84 -> 0.92, 32 KiB x 4 x 4 1.04 -> 1.15, 16 KiB x 1 x 16 level). bench/NOTES.md.
   */
  static final int READ_MAX = 192 * 1024;
  /**
   * How long replies to a frame being streamed may wait without the peer taking any before the
   * rest of the frame is read anyway ({@link #mayRead}). Reading on at once cost what copying out
   * everything behind the first unsent byte costs (256 KiB x 1 x 16: 1.06 -> 0.83x C); a peer that
   * reads takes replies within microseconds, one that writes a whole frame first never does.
   */
  static final long STALL_MS = 20;

  /**
   * Per event-loop thread: the buffer reads go into and the buffer a read's replies are built in,
   * so that a read allocates nothing (the same work with a pooled buffer of each per read: 0.82-0.92x
   * C at 64 B x 100 x 4, with them shared 0.97-1.08x; bench/NOTES.md). Nothing refers to them past
   * the event being handled: what is left of a read (an incomplete frame) and what the socket does
   * not take is copied out. Released when the thread ends.
   */
  private static final FastThreadLocal<Shared> SHARED = new FastThreadLocal<>() {
    @Override
    protected Shared initialValue() {
      return new Shared(ConnectionGroup.cachedBufferMax());
    }

    @Override
    protected void onRemoval(Shared shared) {
      shared.read.release();
      shared.reply.release();
      shared.iov.release();
    }
  };

  private static final class Shared {
    final ByteBuf read;
    final ByteBuf reply;
    /** Where {@link #read} and {@link #reply} are: they live as long as the thread. */
    final long readAddress;
    final long replyAddress;
    /** A connection is building its batch in {@link #reply}. */
    boolean replyTaken;
    /**
     * The replies in {@link #reply} with payloads left in {@link #read} ({@link #payloadInPlace}),
     * in the order they go out; empty if {@link #reply} holds its replies whole.
     */
    final ReplyPieces pieces;
    /** Where {@link #sendMany} lists what it sends. */
    final IovArray iov;

    Shared(int size) {
      read = Unpooled.directBuffer(size, size);
      reply = Unpooled.directBuffer(size, size);
      readAddress = read.memoryAddress();
      replyAddress = reply.memoryAddress();
      // Two pieces a payload sent in place (each at least IN_PLACE_MIN bytes of the read), one for
      // the batch's end, and room for hasRoom's check before a payload.
      pieces = new ReplyPieces(read, reply, 2 * (size / IN_PLACE_MIN) + 3);
      iov = new IovArray(Unpooled.directBuffer(IOV_MAX * IovArray.IOV_SIZE));
    }

    /** {@code out} is the reply buffer or a part of the read buffer (by address: slices may be wrapped). */
    boolean holds(ByteBuf out) {
      if (out == reply) {
        return true;
      }
      if (!out.hasMemoryAddress()) {
        return false; // a composite of the connection's own reads
      }
      long at = out.memoryAddress();
      return at >= read.memoryAddress() && at < read.memoryAddress() + read.capacity();
    }
  }

  private static final boolean UNALIGNED = PlatformDependent.isUnaligned();

  /** Buffers one {@code writev} sends at most (Linux's IOV_MAX is 1024). */
  private static final int IOV_MAX = 1024;

  private final Channel channel;
  private final Socket socket;
  private Shared shared;
  /** The shared read buffer while {@link #read} has it; else null. */
  private ByteBuf sharedRead;
  /** Made at the first read, like a channel's: an idle connection holds none (idle memory target 1 KB). */
  private RecvByteBufAllocator.Handle sizes;
  /** Replies written and not sent yet, in order; the first may be partly sent. Made when first needed. */
  private ArrayDeque<ByteBuf> unsent;
  private IoRegistration registration;
  private EpollIoOps interest;
  private boolean closed;
  /** The peer took no reply for {@link #STALL_MS} while a frame streams: read to the frame's end. */
  private boolean readOn;
  /** A check for that is scheduled. */
  private boolean stallCheck;

  private DirectEchoConnection(ConnectionGroup group, long id, Peer peer, Channel channel) {
    super(group, id, peer);
    this.channel = channel;
    this.socket = (Socket) ((UnixChannel) channel).fd();
  }

  /** Whether an accepted channel can be served this way on {@code loop}. */
  static boolean usable(Channel channel, EventLoop loop) {
    return channel instanceof EpollDomainSocketChannel
        && loop instanceof IoEventLoop
        && ((IoEventLoop) loop).isCompatible(DirectEchoConnection.class)
        // Shared buffers are told apart from the connection's own by memory address.
        && PlatformDependent.hasUnsafe()
        && !Boolean.getBoolean(CHANNELS_PROPERTY);
  }

  /**
   * Registers the accepted channel's descriptor with {@code loop}, where the connection then runs;
   * {@code takeoverOnly} as for any connection.
   */
  static void serve(ConnectionGroup group, IoEventLoop loop, Channel channel, long id, Peer peer,
      Acceptor.Refusal takeoverOnly) {
    DirectEchoConnection connection = new DirectEchoConnection(group, id, peer, channel);
    connection.takeoverOnly = takeoverOnly;
    loop.register(connection).addListener(f -> {
      if (f.isSuccess()) {
        connection.registered((IoRegistration) f.getNow());
      } else {
        log.warn("{} conn#{}: cannot register the connection: {}", group.path(), id, f.cause().toString());
        group.stats().open.decrementAndGet();
        connection.closeSocket();
      }
    });
  }

  private void registered(IoRegistration registration) {
    this.registration = registration;
    this.shared = SHARED.get();
    opened();
    if (!closed) { // opened() closes at once a connection accepted after the drain timeout
      interest(READ);
    }
  }

  @Override
  public FileDescriptor fd() {
    return socket;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    EpollIoOps ops = ((EpollIoEvent) event).ops();
    try {
      // Reading on while replies wait (a frame being streamed), an event may be for input only.
      if (hasUnsent() && (interest != READ_WRITE || ops.contains(EpollIoOps.EPOLLOUT) || ops.contains(EpollIoOps.EPOLLERR))) {
        sendUnsent();
      }
      if (!closed && !closing && mayRead()
          && (ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLRDHUP) || ops.contains(EpollIoOps.EPOLLERR))) {
        readAll();
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  /**
   * Closes after a failure: an I/O error is the peer gone (a reset and the like: nothing to
   * answer), anything else a bug, logged with its trace. Nothing escapes into the event loop, or
   * into the group's drain and timers, which call {@link #flush} too.
   */
  private void fail(Exception e) {
    if (e instanceof IOException) {
      log.debug("{}: {}", name(), e.toString());
    } else {
      log.warn("{}: closing connection: {}", name(), e.toString(), e);
    }
    forceClose();
  }

  @Override
  boolean waitsForItsPeer() {
    return closing && !closed && hasUnsent();
  }

  private void readAll() throws IOException {
    if (sizes == null) {
      sizes = ConnectionGroup.receiveSizes().newHandle();
    }
    sizes.reset(channel.config());
    boolean ended = false;
    do {
      ByteBuf tail = hasPartial() ? takePartial(shared.read.capacity() / 4) : null;
      ByteBuf in = hasPartial() ? sizes.allocate(alloc()) : shared.read.clear();
      if (tail != null) {
        // The tail of a pipelined stream goes in front of a full-size read, which it would
        // otherwise be cumulated with: a copy of its few bytes instead of the read's.
        in.writeBytes(tail);
        tail.release();
      }
      int n = receive(in);
      if (n <= 0) {
        ended = n < 0;
        if (in == shared.read) {
          if (in.isReadable() && !ended) {
            readShared(); // puts the tail back as this connection's own
          }
        } else {
          in.release();
        }
        break;
      }
      sizes.incMessagesRead(1);
      if (in == shared.read) {
        readShared();
      } else {
        read(in);
      }
      if ((unflushed() || hasUnsent()) && !closed) {
        // The read's replies go out before the next read (which reuses the shared buffers they
        // may be parts of; what the socket does not take is copied out): the peer reads them while
        // the next part is read.
        flushBatch();
      }
    } while (!closed && !closing && mayRead() && sizes.continueReading());
    sizes.readComplete();
    // Each read's replies went out in the loop (a read that ends it finds no frame).
    if (ended && !closed) {
      // End of input: what was read is answered, then the connection closes.
      closeWhenAnswered();
    }
  }

  /**
   * Hands the shared read buffer itself to {@link #read}, which releases what it takes over: a
   * reference more for the read's length, not a slice (an object per read: with the page faults
   * taken while allocating it, 3% of the loop's time at 64 B x 100 x 4; bench/NOTES.md).
   */
  private void readShared() {
    sharedRead = shared.read.retain();
    read(sharedRead);
    sharedRead = null;
  }

  /**
   * Nothing waits to be sent, or the rest of a frame being streamed is still to come and the peer
   * has taken no reply for a while (a peer that writes a whole frame before reading must be able to
   * finish it: {@link #watchStall}).
   */
  private boolean mayRead() {
    return !hasUnsent() || readOn && mayReadOn();
  }

  /**
   * Replies the socket did not take wait for room: replies of the read being handled, written but
   * not offered to the socket yet (a batch that overflowed, a payload's slice), do not count, or a
   * large frame after many small ones in one read would be taken as one behind waiting replies and
   * never read on for (a blocking client writing both before reading would wait for us forever).
   */
  @Override
  boolean repliesWait() {
    return hasUnsent() && interest != READ;
  }

  /** One receive call into {@code in} after its readable bytes; the bytes read, 0 if none, -1 at end of input. */
  private int receive(ByteBuf in) throws IOException {
    int n;
    try {
      int limit = in == shared.read ? Math.min(in.capacity(), in.writerIndex() + READ_MAX) : in.capacity();
      sizes.attemptedBytesRead(limit - in.writerIndex());
      if (in.hasMemoryAddress()) {
        n = socket.recvAddress(in.memoryAddress(), in.writerIndex(), limit);
      } else {
        java.nio.ByteBuffer nio = in.internalNioBuffer(in.writerIndex(), limit - in.writerIndex());
        n = socket.recv(nio, nio.position(), nio.limit());
      }
    } catch (IOException e) {
      if (in != shared.read) {
        in.release();
      }
      throw e;
    }
    sizes.lastBytesRead(n);
    if (n > 0) {
      in.writerIndex(in.writerIndex() + n);
    }
    return n;
  }

  @Override
  ByteBuf keep(ByteBuf data) {
    if (data != sharedRead) {
      return data;
    }
    ByteBuf own = alloc().directBuffer(Math.max(1024, 2 * data.readableBytes()));
    own.writeBytes(data);
    data.release();
    return own;
  }

  @Override
  ByteBuf newBatchBuffer(int capacity) {
    if (!shared.replyTaken && capacity <= shared.reply.capacity()) {
      shared.replyTaken = true;
      return shared.reply.clear();
    }
    return super.newBatchBuffer(capacity);
  }

  @Override
  void dropBatchBuffer(ByteBuf buffer) {
    drop(buffer);
  }

  @Override
  boolean sendsInPlace(ByteBuf data, ByteBuf batch, int headRoom) {
    // The shared reply buffer, which the pieces refer to, is (or becomes) the batch.
    return data == sharedRead && shared.pieces.hasRoom()
        && (batch == null ? !shared.replyTaken && headRoom <= shared.reply.capacity()
            : batch == shared.reply && batch.writableBytes() >= headRoom);
  }

  /**
   * A frame in the shared read buffer answered in the shared reply buffer is copied between their
   * addresses: the two live as long as the event loop's thread and the batch has room, so Netty's
   * reference-count and bounds checks on each call (about ten a frame, a third of the loop's user
   * time at 64 B x 1 x 128; bench/NOTES.md) have nothing to find.
   */
  @Override
  void copyReply(ByteBuf batch, ByteBuf data, int index, int length) {
    // The length header is put at any address: only where the CPU allows unaligned writes.
    if (data != sharedRead || batch != shared.reply || !UNALIGNED) {
      super.copyReply(batch, data, index, length);
      return;
    }
    Framing framing = group.framing();
    byte[] prefix = group.prefixBytes();
    int at = batch.writerIndex();
    // Nothing checks the writes below: frame() made the room.
    assert batch.writableBytes() >= framing.overhead() + prefix.length + length : "no room for the reply";
    assert index >= data.readerIndex() && index + length <= data.writerIndex() : "payload outside the read";
    long to = shared.replyAddress + at;
    to += framing.putHeader(to, prefix.length + length);
    PlatformDependent.copyMemory(prefix, 0, to, prefix.length);
    to += prefix.length;
    PlatformDependent.copyMemory(shared.readAddress + index, to, length);
    to += length;
    to += framing.putTrailer(to);
    batch.writerIndex((int) (to - shared.replyAddress));
  }

  @Override
  void payloadInPlace(ByteBuf batch, int index, int length) {
    assert batch == shared.reply : "pieces are offsets into the shared reply buffer";
    shared.pieces.payload(index, length);
  }

  @Override
  void write(ByteBuf out) {
    if (closed || !out.isReadable()) {
      drop(out); // an empty buffer queued would be "sent" as 0 bytes, taken for a full socket
      return;
    }
    // The shared reply buffer stays taken while it waits here: a batch after it gets a buffer of
    // its own. Before the event ends, what the socket did not take is copied out (consume, detachShared).
    if (unsent == null) {
      unsent = new ArrayDeque<>(4);
    }
    if (out == shared.reply) {
      shared.pieces.end();
    }
    unsent.add(out);
  }

  @Override
  void writePayload(ByteBuf data, int index, int length) {
    write(data.retainedSlice(index, length));
  }

  @Override
  void writeNow(ByteBuf out) {
    write(out);
    flush();
  }

  @Override
  void flush() {
    if (closed) {
      return;
    }
    try {
      if (hasUnsent() && interest == READ_WRITE) {
        // The socket was full: what was added waits behind, sent at EPOLLOUT.
        waitForRoom();
        return;
      }
      sendUnsent();
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  /**
   * Sends what waits, as much as the socket takes; then reads again, waits for room
   * ({@link #waitForRoom}), or closes if the connection is closing and all went.
   */
  private void sendUnsent() throws IOException {
    while (hasUnsent()) {
      ByteBuf first = unsent.peek();
      long sent = unsent.size() == 1 && first.hasMemoryAddress() && !isPieced(first) ? sendOne(first) : sendMany();
      if (sent <= 0) {
        break;
      }
      consume(sent);
    }
    if (!hasUnsent()) {
      readOn = false;
      if (closing) {
        forceClose();
      } else {
        interest(READ);
      }
    } else {
      waitForRoom();
    }
  }

  /**
   * What waits is copied out of the shared buffers and waits for {@code EPOLLOUT}; the peer is read
   * meanwhile only while a streamed frame is incomplete ({@link #mayRead}; level-triggered: input
   * left unread would wake the loop again and again).
   */
  private void waitForRoom() {
    detachShared();
    if (!closing && !readOn && !stallCheck && mayReadOn()) {
      watchStall(unsent.peek(), unsent.peek().readerIndex());
    }
    interest(mayRead() && !closing ? READ_WRITE : EpollIoOps.EPOLLOUT);
  }

  /**
   * In {@link #STALL_MS}: if the peer has taken nothing of what waits ({@code first} still first,
   * at {@code at}) and the streamed frame is still incomplete, the rest of it is read anyway: a
   * peer that writes a whole frame before it reads would otherwise wait for us as we wait for it.
   */
  private void watchStall(ByteBuf first, int at) {
    stallCheck = true;
    group.loop().schedule(() -> {
      stallCheck = false;
      if (closed || closing || readOn || !hasUnsent() || !mayReadOn()) {
        return;
      }
      ByteBuf now = unsent.peek();
      if (now == first && now.readerIndex() == at) {
        readOn = true;
        interest(READ_WRITE);
      } else {
        watchStall(now, now.readerIndex());
      }
    }, STALL_MS, TimeUnit.MILLISECONDS);
  }

  /** Replaces what waits in the shared buffers by copies: they serve other connections next. */
  private void detachShared() {
    for (int i = unsent.size(); i > 0; i--) {
      ByteBuf out = unsent.poll();
      if (isPieced(out)) {
        ByteBuf own = shared.pieces.copy(alloc(), 0);
        drop(out);
        out = own;
      } else if (shared.holds(out)) {
        ByteBuf own = alloc().directBuffer(out.readableBytes()).writeBytes(out);
        drop(out);
        out = own;
      }
      unsent.add(out);
    }
  }

  /**
   * Lets go of a buffer that was written or a batch that was not: the shared reply buffer is given
   * back, others released. The only place the reply buffer is given back, so its pieces are cleared
   * here: left over from a batch given back unsent (a connection closed in the middle of its read),
   * they would go out with the next connection's replies.
   */
  private void drop(ByteBuf out) {
    if (out == shared.reply) {
      shared.replyTaken = false;
      shared.pieces.clear();
    } else {
      out.release();
    }
  }

  private int sendOne(ByteBuf out) throws IOException {
    return socket.sendAddress(out.memoryAddress(), out.readerIndex(), out.writerIndex());
  }

  private long sendMany() throws IOException {
    IovArray iov = shared.iov;
    iov.clear();
    for (ByteBuf out : unsent) {
      if (isPieced(out) ? !shared.pieces.addTo(iov) : !iov.add(out, out.readerIndex(), out.readableBytes())) {
        break;
      }
    }
    return socket.writevAddresses(iov.memoryAddress(0), iov.count());
  }

  /** {@code out} is the shared reply buffer holding replies whose payloads are still in the read buffer. */
  private boolean isPieced(ByteBuf out) {
    return out == shared.reply && !shared.pieces.isEmpty();
  }

  /** Drops the first {@code sent} bytes of what waits. */
  private void consume(long sent) {
    while (sent > 0) {
      ByteBuf first = unsent.peek();
      if (isPieced(first)) {
        long length = shared.pieces.bytes();
        if (sent >= length) {
          drop(unsent.poll());
          sent -= length;
        } else {
          // The socket is full (or the iov held only part): the rest is copied out now, as the read
          // buffer is reused next; the loop sends it on if the socket takes more.
          ByteBuf own = shared.pieces.copy(alloc(), sent);
          drop(unsent.poll());
          unsent.addFirst(own);
          sent = 0;
        }
        continue;
      }
      int readable = first.readableBytes();
      if (sent >= readable) {
        drop(unsent.poll());
        sent -= readable;
      } else {
        first.skipBytes((int) sent);
        sent = 0;
      }
    }
  }

  private boolean hasUnsent() {
    return unsent != null && !unsent.isEmpty();
  }

  private void interest(EpollIoOps ops) {
    if (ops != interest && registration != null && !closed) {
      interest = ops;
      registration.submit(ops);
    }
  }

  @Override
  void closeWhenFlushed() {
    flushBatch(); // sendUnsent closes once all went, as closing is set
  }

  @Override
  void forceClose() {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    if (registration != null) {
      registration.cancel();
    }
    closeSocket();
    while (hasUnsent()) {
      drop(unsent.poll());
    }
    releaseBatch();
    releasePartial();
    if (registration != null) {
      group.removed(this);
    }
  }

  private void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("{}: {}", name(), e.toString());
    }
  }

  @Override
  boolean isOpen() {
    return !closed;
  }

  @Override
  ByteBufAllocator alloc() {
    return ConnectionGroup.buffers();
  }

  @Override
  Channel channel() {
    return channel;
  }

  /** Closed by {@link #forceClose} or by the event loop's shutdown. */
  @Override
  public void close() {
    forceClose();
  }
}
