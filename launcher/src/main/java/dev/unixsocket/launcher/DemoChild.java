package dev.unixsocket.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A child process whose stdout and stderr are read line by line and kept for the logs. */
final class DemoChild {

  /** Longest wait for any one step (a JVM starting, a reply, a process stopping). */
  static final long STEP_TIMEOUT_SECONDS = 30;
  /** Queued when a stream ends (compared by identity): a process that exited prints nothing more. */
  private static final String END = new String("end of stream");

  final String name;
  final Process process;
  private final LinkedBlockingQueue<String> out = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<String> err = new LinkedBlockingQueue<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final List<String> errSeen = new ArrayList<>();
  private final Writer in;

  DemoChild(String name, Process process) {
    this.name = name;
    this.process = process;
    pump(process.getInputStream(), out, "out");
    pump(process.getErrorStream(), err, "err");
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  private void pump(InputStream stream, LinkedBlockingQueue<String> lines, String label) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          log.add(label + ": " + line);
          lines.add(line);
        }
      } catch (IOException e) {
        // the process is gone
      } finally {
        lines.add(END);
      }
    }, "uds-demo-" + name + "-" + label);
    t.setDaemon(true);
    t.start();
  }

  long pid() {
    return process.pid();
  }

  List<String> log() {
    synchronized (log) {
      return new ArrayList<>(log);
    }
  }

  void typeLine(String line) throws IOException {
    try {
      in.write(line + "\n");
      in.flush();
    } catch (IOException e) {
      throw new DemoFailure("cannot write to the " + name + " process: " + e.getMessage() + exitNote());
    }
  }

  String nextOut(String what) throws InterruptedException {
    String line = out.poll(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (line == END) {
      out.add(END);
      throw ended(what);
    }
    if (line == null) {
      throw new DemoFailure("waited " + STEP_TIMEOUT_SECONDS + " s for " + what + exitNote());
    }
    return line;
  }

  /** Waits for a stderr line that matches and returns it; earlier lines are kept for {@link #errLines}. */
  String awaitErr(Predicate<String> match, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_TIMEOUT_SECONDS);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : err.poll(left, TimeUnit.NANOSECONDS);
      if (line == END) {
        err.add(END);
        throw ended(what);
      }
      if (line == null) {
        throw new DemoFailure("waited " + STEP_TIMEOUT_SECONDS + " s for " + what + exitNote());
      }
      errSeen.add(line);
      if (match.test(line)) {
        return line;
      }
    }
  }

  /** How many stderr lines seen so far match. */
  int errLines(Predicate<String> match) {
    return (int) errSeen.stream().filter(match).count();
  }

  int waitFor(String what) throws InterruptedException {
    if (!process.waitFor(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new DemoFailure("waited " + STEP_TIMEOUT_SECONDS + " s for " + what);
    }
    return process.exitValue();
  }

  /** A step that cannot come: the process closed the stream it would have come on (it exited, as a rule). */
  private DemoFailure ended(String what) throws InterruptedException {
    if (process.waitFor(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      return new DemoFailure("gave up waiting for " + what + ": the " + name + " process exited with status " + process.exitValue());
    }
    return new DemoFailure("gave up waiting for " + what + ": the " + name + " process closed its output");
  }

  private String exitNote() {
    return process.isAlive() ? "" : " (the " + name + " process exited with status " + process.exitValue() + ")";
  }
}
