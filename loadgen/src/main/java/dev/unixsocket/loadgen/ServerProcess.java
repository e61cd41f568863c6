package dev.unixsocket.loadgen;

import dev.unixsocket.loadgen.BenchCommand.BenchFailure;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The server's process as /proc shows it ({@code --server-pid}): its resident memory and open descriptors. */
final class ServerProcess {

  private final long pid;

  ServerProcess(long pid) {
    this.pid = pid;
  }

  long pid() {
    return pid;
  }

  /** Resident memory in KiB; a process that is not there ends the run. */
  long rssKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
      throw new BenchFailure("no VmRSS in /proc/" + pid + "/status");
    } catch (NoSuchFileException e) {
      throw new BenchFailure("no process " + pid + " (--server-pid)");
    } catch (IOException e) {
      throw new BenchFailure("cannot read /proc/" + pid + "/status: " + e.getMessage());
    }
  }

  /** Open file descriptors, or null when /proc does not let us count them (another user's process). */
  Integer openFds() {
    int n = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path ignored : fds) {
        n++;
      }
      return n;
    } catch (IOException e) {
      return null; // not ours to read: fall back to waiting
    }
  }

  /**
   * Waits until the server holds {@code opened} more descriptors than {@code fdsBefore}, or the
   * count stops changing for a second: a connect completes before the server has accepted it, and
   * RSS read earlier would miss the last connections' memory.
   */
  void awaitAccepted(Integer fdsBefore, int opened) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int last = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Integer fds = openFds();
      if (fds == null || fdsBefore == null) {
        Thread.sleep(1000);
        return;
      }
      if (fds >= fdsBefore + opened) {
        break;
      }
      if (fds != last) {
        last = fds;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(1)) {
        break;
      }
      Thread.sleep(50);
    }
    Thread.sleep(500); // let the server finish setting the last ones up
  }
}
