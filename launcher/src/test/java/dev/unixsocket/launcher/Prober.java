package dev.unixsocket.launcher;

import dev.unixsocket.testkit.BlockingClient;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
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
      BlockingClient c;
      try {
        c = BlockingClient.connect(path);
      } catch (ConnectException e) {
        refused.add(i + ": " + e.getMessage());
        continue;
      } catch (SocketException e) {
        refused.add(i + ": " + e.getMessage()); // no such file
        continue;
      } catch (IOException e) {
        failed.add(i + ": " + e);
        continue;
      }
      try (c) {
        c.writeFrame(text);
        String reply = c.readFrame();
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

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join();
  }
}
