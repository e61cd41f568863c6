package dev.unixsocket.testkit;

import dev.unixsocket.wire.Control;
import dev.unixsocket.wire.FrameReader;
import dev.unixsocket.wire.Framing;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only servers that misbehave on purpose, built on Vert.x {@link NetServer}s listening on
 * domain sockets. Where the real {@code ServerVerticle} will do, tests use it instead.
 */
public final class FaultyServers {

  private FaultyServers() {
  }

  /** A server that reads and never answers: everything the client writes stays in flight. */
  public static Future<NetServer> silent(Vertx vertx, Path path) {
    return vertx.createNetServer()
        .connectHandler(socket -> socket.handler(chunk -> { }))
        .listen(SocketAddress.domainSocketAddress(path.toString()));
  }

  /**
   * A proxy in front of {@code target} that closes the first {@code dropFirst} connections as soon
   * as it accepts them, then forwards bytes both ways (as vertx-rabbitmq-client's reconnect tests do).
   */
  public static final class DroppingProxy {
    public final AtomicInteger accepted = new AtomicInteger();
    private final int dropFirst;
    private final Path target;
    private NetClient client;

    private DroppingProxy(int dropFirst, Path target) {
      this.dropFirst = dropFirst;
      this.target = target;
    }

    public static Future<DroppingProxy> start(Vertx vertx, Path listen, Path target, int dropFirst) {
      DroppingProxy proxy = new DroppingProxy(dropFirst, target);
      proxy.client = vertx.createNetClient();
      return vertx.createNetServer()
          .connectHandler(proxy::accept)
          .listen(SocketAddress.domainSocketAddress(listen.toString()))
          .map(server -> proxy);
    }

    private void accept(NetSocket in) {
      if (accepted.incrementAndGet() <= dropFirst) {
        in.close();
        return;
      }
      in.pause();
      client.connect(SocketAddress.domainSocketAddress(target.toString())).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        in.pipeTo(out);
        out.pipeTo(in);
      });
    }
  }

  /**
   * An echo server (prefix {@code echo:}, length framing) whose first connection breaks in the
   * middle of a reply: it answers the first frame with a header announcing 100 bytes, sends 3 of
   * them, and closes. A client that kept any decoder or write state from that connection would
   * misread every later reply.
   */
  public static Future<NetServer> breaksFirstConnectionMidFrame(Vertx vertx, Path path) {
    AtomicInteger connections = new AtomicInteger();
    Buffer prefix = Buffer.buffer("echo:");
    return vertx.createNetServer()
        .connectHandler(socket -> {
          boolean first = connections.incrementAndGet() == 1;
          Echo echo = new Echo(prefix);
          socket.handler(chunk -> {
            if (first) {
              // Broken at the first data frame; a HELLO alone (a control frame) gets no answer.
              if (echo.answer(chunk).length() > 0) {
                socket.write(Buffer.buffer().appendInt(100).appendString("ech")).onComplete(v -> socket.close());
              }
              return;
            }
            socket.write(echo.answer(chunk));
          });
        })
        .listen(SocketAddress.domainSocketAddress(path.toString()));
  }

  /** An echo server that greets every connection with a frame nobody asked for. */
  public static Future<NetServer> greeting(Vertx vertx, Path path, String greeting) {
    Buffer prefix = Buffer.buffer("echo:");
    return vertx.createNetServer()
        .connectHandler(socket -> {
          Buffer hello = Buffer.buffer();
          Framing.LENGTH.appendChecked(Buffer.buffer(greeting), hello);
          socket.write(hello);
          Echo echo = new Echo(prefix);
          socket.handler(chunk -> socket.write(echo.answer(chunk)));
        })
        .listen(SocketAddress.domainSocketAddress(path.toString()));
  }

  /**
   * An echo server that starts every connection with a control frame (which a server sends only
   * to a peer that said HELLO) and then a data frame nobody asked for.
   */
  public static Future<NetServer> controlFrameThenGreeting(Vertx vertx, Path path, Control code, String greeting,
      List<Control> received) {
    return vertx.createNetServer()
        .connectHandler(socket -> {
          Buffer first = Buffer.buffer();
          Framing.LENGTH.appendControl(first, code, null);
          Framing.LENGTH.appendChecked(Buffer.buffer(greeting), first);
          socket.write(first);
          Echo echo = new Echo(Buffer.buffer("echo:"), received);
          socket.handler(chunk -> socket.write(echo.answer(chunk)));
        })
        .listen(SocketAddress.domainSocketAddress(path.toString()));
  }

  /** Answers each length frame of a connection with prefix + payload. */
  private static final class Echo {
    private final FrameReader reader;
    private Buffer out;

    Echo(Buffer prefix) {
      this(prefix, new java.util.ArrayList<>());
    }

    /** Control frames from the client (HELLO, DONE) are recorded in {@code received}, not answered. */
    Echo(Buffer prefix, List<Control> received) {
      this.reader = new FrameReader(Framing.LENGTH, Framing.DEFAULT_MAX_FRAME, (data, index, length) ->
          Framing.LENGTH.appendChecked(prefix.copy().appendBuffer(BufferInternal.buffer(data.slice(index, length))), out),
          (code, data, index, length) -> received.add(code));
    }

    Buffer answer(Buffer chunk) {
      out = Buffer.buffer();
      reader.read(chunk);
      return out;
    }
  }
}
