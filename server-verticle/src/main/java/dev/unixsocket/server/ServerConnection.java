package dev.unixsocket.server;

import dev.unixsocket.wire.BadFrameException;
import dev.unixsocket.wire.Control;
import dev.unixsocket.wire.FrameSpan;
import dev.unixsocket.wire.FrameTooLargeException;
import dev.unixsocket.wire.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * One client connection, the only handler of its Netty pipeline:
 * every frame is answered by exactly one frame, in order. The subclasses say how:
 * {@link EchoConnection} answers at once, {@link ForwardingConnection} through the event bus;
 * {@link DirectEchoConnection} is the echo on epoll without a channel, which calls {@link #read}
 * itself and overrides what here goes through the channel ({@link #writeNow}, {@link #forceClose},
 * {@link #isOpen}, {@link #alloc}, {@link #channel}).
 * Here: what every connection has (its group, id, peer, idle clock, place in the group's list)
 * finding the frames in what is read, and how it closes (idle, oversize, stop). Confined to the connection's event loop.
 *
 * <p>Why a Netty handler rather than a Vert.x {@code NetSocket}: an idle {@code NetSocket}
 * costs about 6 KB of heap (its outbound message queue alone 4.7 KB); this object is all a
 * connection adds to Netty's channel, and an idle one holds no buffer.
 */
abstract class ServerConnection extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
  /** An incomplete frame larger than this is gathered without copying (see {@link #cumulate}). */
  private static final int COMPOSITE_ABOVE = 8192;

  final ConnectionGroup group;
  private final long id;
  /** The peer, looked up when first needed (SO_PEERCRED is a system call), or at admission. */
  private Peer peer;
  ChannelHandlerContext ctx;
  /** When the last complete frame arrived (or the connection opened), for the idle timeout; kept only when there is one. */
  long lastFrameNanos;
  /** The group's list of open connections: intrusive, so that it costs no node per connection. */
  ServerConnection previous;
  ServerConnection next;
  /** No more reading: close once what was read is answered. */
  boolean closing;
  /** The peer sent HELLO: it understands control frames, and only such a peer is sent any. */
  boolean controlFrames;
  /**
   * Null, or why this peer may not send messages: it was refused as a client (its uid is not in
   * the allow-list, or the server was full) but is ours or root's, so it was admitted to take the
   * server over; its first data frame is refused for this reason and closes the connection.
   */
  Acceptor.Refusal takeoverOnly;
  /** GOAWAY was written: the peer sends DONE after its last data frame. */
  private boolean goneAway;
  /** The bytes of a frame not complete yet, kept across reads; null between frames. */
  private ByteBuf partial;
  /** How much of {@link #partial} the line search has covered already. */
  private int searched;

  ServerConnection(ConnectionGroup group, long id, Peer peer) {
    this.group = group;
    this.id = id;
    this.peer = peer;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Runs on the connection's event loop once the channel is registered there.
    this.ctx = ctx;
    opened();
  }

  /** The connection is being served on its event loop: it joins its group. */
  void opened() {
    this.lastFrameNanos = System.nanoTime();
    group.added(this);
  }

  /**
   * Finds the frames in what was read and hands each to {@link #frame} in place: no slice, no
   * copy, no message through the pipeline per frame; control frames go to {@link #control}, in
   * frame order. Only an incomplete frame is kept, and only until it completes. A bad frame (over
   * max-frame, or a control frame this side refuses) ends reading: what came before it is
   * answered, then the connection closes.
   */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    read((ByteBuf) msg);
  }

  /** One read's bytes, which this connection takes over (and releases). See {@link #channelRead}. */
  void read(ByteBuf in) {
    if (closing) {
      in.release();
      return;
    }
    ByteBuf data = partial == null ? in : cumulate(alloc(), partial, in);
    partial = null;
    Framing framing = group.framing();
    FrameSpan span = group.span();
    int maxFrame = group.options().getMaxFrame();
    int frames = 0;
    long payloadBytes = 0;
    try {
      while (!closing && framing.find(data, maxFrame, searched, span)) {
        Control code = span.control;
        int index = span.payloadIndex;
        int length = span.payloadLength;
        int skip = span.frameLength;
        searched = 0;
        if (code != null) {
          control(code, data, index, length);
          data.readerIndex(data.readerIndex() + skip);
          continue;
        }
        if (takeoverOnly != null) {
          Acceptor.refused(takeoverOnly, group.stats(), log, group.path() + " conn#" + id, peer(), group.options());
          closeWhenAnswered();
          break;
        }
        frames++;
        payloadBytes += length;
        frame(data, index, length);
        // find checked the frame is there; skipBytes would check the reference count again (bench/NOTES.md, "Netty's checks per frame")
        data.readerIndex(data.readerIndex() + skip);
      }
      searched = span.searched;
    } catch (BadFrameException e) {
      if (e instanceof FrameTooLargeException) {
        group.stats().closedOversize.increment();
      }
      log.warn("{}: closing connection: {}", name(), e.getMessage());
      closeWhenAnswered();
    }
    if (frames > 0) {
      // Counted per read, not per frame; kept in locals so that a connection carries no counters.
      completed(frames, payloadBytes);
    }
    if (data.isReadable() && !closing && span.incompleteLength >= 0 && takeoverOnly == null
        && begin(data, span.incompleteLength)) {
      return; // the handler takes the frame's payload as it arrives
    }
    if (data.isReadable() && !closing) {
      if (data instanceof CompositeByteBuf && data.refCnt() == 1) {
        // Keep only the reads the partial frame is in; not while a reply slice still shares it.
        ((CompositeByteBuf) data).discardReadComponents();
      }
      partial = keep(data);
    } else {
      data.release();
    }
  }

  /** Frames completed: for the idle timeout and the counters. */
  void completed(int frames, long payloadBytes) {
    if (group.idleClock()) {
      lastFrameNanos = System.nanoTime();
    }
    framesRead(frames, payloadBytes);
  }

  /**
   * A read ends in a data frame whose header has come and whose payload has not (length framing):
   * a handler that takes the payload as it arrives starts here with what {@code data} holds from
   * the header on, takes {@code data} over and returns true; the frame is then its own until its
   * {@code length} bytes have come, and its {@link #read} takes each read first. Here: false, the
   * frame is kept until it is complete.
   */
  boolean begin(ByteBuf data, int length) {
    return false;
  }

  /** What to keep of a read that ends in an incomplete frame: the read itself, here. */
  ByteBuf keep(ByteBuf data) {
    return data;
  }

  /**
   * The incomplete frame kept from earlier reads, if it is one buffer of at most {@code max}
   * bytes, handed over (the caller puts it before the next read); else null and it stays.
   */
  ByteBuf takePartial(int max) {
    ByteBuf p = partial;
    if (p == null || p instanceof CompositeByteBuf || p.readableBytes() > max) {
      return null;
    }
    partial = null;
    searched = 0;
    return p;
  }

  boolean hasPartial() {
    return partial != null;
  }

  /**
   * Appends a read to the incomplete frame kept from earlier reads. Small ones are copied
   * together; a frame over 8 KiB that spans reads is gathered as a composite of
   * the reads themselves, so its bytes are never copied: the echo writes them back as a slice.
   */
  private static ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf partial, ByteBuf in) {
    if (partial instanceof CompositeByteBuf || partial.readableBytes() + in.readableBytes() > COMPOSITE_ABOVE) {
      return ByteToMessageDecoder.COMPOSITE_CUMULATOR.cumulate(alloc, partial, in);
    }
    return ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, partial, in);
  }

  /**
   * One complete frame: its payload is {@code length} bytes of {@code data} at {@code index},
   * valid during this call only (retain a slice to keep it).
   */
  abstract void frame(ByteBuf data, int index, int length);

  /**
   * One control frame (length framing only): its payload is {@code length} bytes of {@code data}
   * at {@code index}, valid during this call only. HELLO marks a peer that understands control
   * frames; DONE ends its writing (answer what was read, close); TAKEOVER asks this server to
   * hand over its path; anything else closes the connection.
   */
  void control(Control code, ByteBuf data, int index, int length) {
    if (code == Control.HELLO) {
      controlFrames = true;
      if (group.draining()) {
        goAway();
      }
    } else if (code == Control.DONE && controlFrames) {
      // The peer writes nothing more here: everything it sent has been read.
      closeWhenAnswered();
    } else if (code == Control.TAKEOVER && controlFrames) {
      String refusal = group.takeover(peer());
      if (refusal == null) {
        log.info("{}: takeover requested: handing the path over and draining", name());
        sendControl(Control.TAKEOVER_OK, Unpooled.EMPTY_BUFFER);
      } else {
        log.warn("{}: takeover refused: {}", name(), refusal);
        byte[] reason = refusal.getBytes(StandardCharsets.UTF_8);
        sendControl(Control.REFUSED, Unpooled.wrappedBuffer(reason, 0, Math.min(reason.length, Control.MAX_PAYLOAD)));
      }
    } else {
      log.warn("{}: closing connection: unexpected control frame {}{}", name(), code, controlFrames ? "" : " before HELLO");
      closeWhenAnswered();
    }
  }

  /**
   * Drain begins: a peer that understands control frames is told to stop writing (GOAWAY) and
   * keeps being read and answered until its DONE; a plain peer is served as before until the
   * drain timeout.
   */
  void drain() {
    if (controlFrames) {
      goAway();
    }
  }

  private void goAway() {
    if (goneAway || closing || !isOpen()) {
      return;
    }
    goneAway = true;
    sendControl(Control.GOAWAY, Unpooled.EMPTY_BUFFER);
  }

  /**
   * Control frames go out at once: they take no place among the replies (but not inside one: the
   * echo holds one back until the reply it is streaming is complete).
   */
  private void sendControl(Control code, ByteBuf payload) {
    ByteBuf out = alloc().ioBuffer(4 + payload.readableBytes());
    Framing.LENGTH.writeControl(out, code, payload);
    writeControl(out);
  }

  /** Sends a control frame at once, unless a handler must put it after a reply it is writing. */
  void writeControl(ByteBuf out) {
    writeNow(out);
  }

  /** Writes and flushes {@code out} at once, after what was written before it. */
  void writeNow(ByteBuf out) {
    ctx.writeAndFlush(out);
  }

  /** After each read that completed frames: how many, and their payload bytes. */
  void framesRead(int frames, long payloadBytes) {
    group.stats().read(frames, payloadBytes + (long) frames * group.framing().overhead());
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releasePartial();
  }

  /** Releases the incomplete frame kept across reads, if any: the connection is done. */
  void releasePartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    group.removed(this);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset by the peer and the like: the connection is gone, nothing to answer.
    log.debug("{}: {}", name(), cause.toString());
    ctx.close();
  }

  /** Graceful stop: read no more, answer what was read, flush, close. */
  abstract void closeWhenAnswered();

  /** Closes a connection that completed no frame within the idle timeout. */
  void closeIdle(long idleSeconds) {
    group.stats().closedIdle.increment();
    log.info("{}: closing connection: no complete frame for {} s (idle timeout)", name(), idleSeconds);
    forceClose();
  }

  /**
   * Closing, with everything answered, but the peer does not take the replies: the idle timeout
   * applies (a connection closing for other reasons, e.g. awaiting its handler's replies, is left
   * to its own limits).
   */
  boolean waitsForItsPeer() {
    if (!closing || !answered() || ctx == null) {
      return false;
    }
    ChannelOutboundBuffer unsent = ctx.channel().unsafe().outboundBuffer();
    return unsent != null && unsent.totalPendingWriteBytes() > 0;
  }

  /** Every frame read has its reply written (the echo answers at once). */
  boolean answered() {
    return true;
  }

  /** Closes at once, whatever is unanswered or unsent. */
  void forceClose() {
    ctx.close();
  }

  boolean isOpen() {
    return ctx.channel().isOpen();
  }

  ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  /** The connection's channel: for the peer's credentials. */
  Channel channel() {
    return ctx == null ? null : ctx.channel();
  }

  /** Built only when logged: an idle connection should not carry its own strings. */
  String name() {
    return group.path() + " conn#" + id + peer();
  }

  Peer peer() {
    if (peer == null) {
      Channel channel = channel();
      peer = channel == null ? Peer.UNKNOWN : Peer.of(channel);
    }
    return peer;
  }

  long id() {
    return id;
  }
}
