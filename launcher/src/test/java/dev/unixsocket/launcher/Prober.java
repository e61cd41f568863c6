package dev.unixsocket.launcher;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connects to a path every couple of milliseconds, as a plain peer (no HELLO): writes one
 * length-framed message, expects its echo, closes. Counts answers, refusals (no listener: the
 * socket file missing or nobody accepting) and any other failure, with what happened.
 */
final class Prober implements AutoCloseable {

  private final Path path;
  private final Thread thread;
  private volatile boolean running = true;
  final AtomicInteger answered = new AtomicInteger();
  final List<String> refused = new CopyOnWriteArrayList<>();
  final List<String> failed = new CopyOnWriteArrayList<>();

  Prober(Path path) {
    this.path = path;
    this.thread = new Thread(this::run, "prober");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    for (int i = 0; running; i++) {
      String text = "probe-" + i;
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        try {
          ch.connect(UnixDomainSocketAddress.of(path));
        } catch (ConnectException e) {
          refused.add(i + ": " + e.getMessage());
          continue;
        } catch (SocketException e) {
          refused.add(i + ": " + e.getMessage()); // no such file
          continue;
        }
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        ch.write(ByteBuffer.allocate(4 + p.length).putInt(p.length).put(p).flip());
        String reply = StandardCharsets.UTF_8.decode(readFully(ch, readFully(ch, 4).getInt())).toString();
        if (reply.equals("echo:" + text)) {
          answered.incrementAndGet();
        } else {
          failed.add(i + ": wrong reply " + reply);
        }
        Thread.sleep(2);
      } catch (IOException e) {
        failed.add(i + ": " + e);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException("closed with " + b.remaining() + " of " + n + " bytes missing");
      }
    }
    return b.flip();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join();
  }
}
