package dev.unixsocket.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@code uds} command run as its own process, with its stdout and stderr read line by line. */
final class UdsProcess implements AutoCloseable {

  private final Process process;
  private final LinkedBlockingQueue<String> out = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<String> err = new LinkedBlockingQueue<>();
  private final List<String> errSeen = new ArrayList<>();
  private final Writer in;
  private final Thread errPump;

  private UdsProcess(Process process) {
    this.process = process;
    pump(process.getInputStream(), out);
    errPump = pump(process.getErrorStream(), err);
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  static UdsProcess start(String... args) throws IOException {
    return start(Map.of(), args);
  }

  /** Starts it with these environment variables added to ours. */
  static UdsProcess start(Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(cmd);
    builder.environment().putAll(env);
    return new UdsProcess(builder.start());
  }

  long pid() {
    return process.pid();
  }

  /** Waits (up to 180 s: a JVM joining a cluster on a loaded machine) for a stdout line matching, and returns it. */
  String awaitOut(Predicate<String> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (true) {
      String line = out.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no matching stdout line within 180 s; stderr so far: " + errSeen + err);
      }
      if (match.test(line)) {
        return line;
      }
    }
  }

  private static Thread pump(InputStream stream, LinkedBlockingQueue<String> lines) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // process gone
      }
    });
    t.setDaemon(true);
    t.start();
    return t;
  }

  void typeLine(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
  }

  void endInput() throws IOException {
    in.close();
  }

  /** The next stdout line, waiting up to 30 s; fails the test if none comes. */
  String nextOut() throws InterruptedException {
    String line = out.poll(30, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("no stdout line within 30 s; stderr so far: " + errSeen + err);
    }
    return line;
  }

  /** Waits (up to 30 s) for a stderr line matching, and returns it. */
  String awaitErr(Predicate<String> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String line = err.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no matching stderr line within 30 s; seen: " + errSeen);
      }
      errSeen.add(line);
      if (match.test(line)) {
        return line;
      }
    }
  }

  /** Stops with SIGTERM and returns the exit status. */
  int terminate() throws InterruptedException {
    process.destroy();
    return waitFor();
  }

  int waitFor() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("process did not exit within 60 s");
    }
    return process.exitValue();
  }

  /** Every stderr line of a process that has exited, including those already awaited. */
  List<String> errAfterExit() throws InterruptedException {
    if (process.isAlive()) {
      throw new IllegalStateException("the process is still running");
    }
    errPump.join(TimeUnit.SECONDS.toMillis(30));
    err.drainTo(errSeen);
    return List.copyOf(errSeen);
  }

  void kill() {
    process.destroyForcibly();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
