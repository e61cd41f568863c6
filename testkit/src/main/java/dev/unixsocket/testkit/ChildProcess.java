package dev.unixsocket.testkit;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A Java main run in a JVM of its own, on this test's class path, so that a test can stop it
 * with real signals (SIGTERM, SIGKILL, SIGSTOP): its stdout and stderr are read line by line as
 * they come. The JVM is tuned to start fast (C1 only, serial GC); tests never measure speed.
 */
public final class ChildProcess implements AutoCloseable {

  private static final long WAIT_SECONDS = 60;

  private final Process process;
  private final LinkedBlockingQueue<String> out = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<String> err = new LinkedBlockingQueue<>();
  private final List<String> errSeen = new ArrayList<>();
  private final List<String> errAll = new CopyOnWriteArrayList<>();
  private final Thread errPump;
  private final Writer in;

  private ChildProcess(Process process) {
    this.process = process;
    pump(process.getInputStream(), out, null);
    this.errPump = pump(process.getErrorStream(), err, errAll);
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** Starts {@code main} with {@code args} in a child JVM. */
  public static ChildProcess start(Class<?> main, String... args) throws IOException {
    return start(Map.of(), main, args);
  }

  /** Starts {@code main} with {@code args} in a child JVM, with {@code env} added to this process's environment. */
  public static ChildProcess start(Map<String, String> env, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    return new ChildProcess(pb.start());
  }

  /** Starts {@code main} in a child JVM under a wrapper command, such as {@code systemd-socket-activate -l PATH}. */
  public static ChildProcess startUnder(List<String> wrapper, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(wrapper);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    return new ChildProcess(new ProcessBuilder(cmd).start());
  }

  /** The next stdout line matching, skipping the others. */
  public String awaitOut(Predicate<String> match) throws InterruptedException {
    while (true) {
      String line = nextOut();
      if (match.test(line)) {
        return line;
      }
    }
  }

  private static Thread pump(InputStream stream, LinkedBlockingQueue<String> lines, List<String> copy) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (copy != null) {
            copy.add(line);
          }
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

  public long pid() {
    return process.pid();
  }

  public void typeLine(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
  }

  public void endInput() throws IOException {
    in.close();
  }

  /** The next stdout line, waiting up to 60 s (a bound for a loaded machine); fails the test if none comes. */
  public String nextOut() throws InterruptedException {
    String line = out.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("no stdout line within " + WAIT_SECONDS + " s; stderr so far: " + errAll);
    }
    return line;
  }

  /** Every stderr line once the process has ended (waits for its end, up to 60 s), awaited ones included. */
  public List<String> errAfterExit() throws InterruptedException {
    waitFor();
    errPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    return List.copyOf(errAll);
  }

  /** {@link #errAfterExit()} as one text, a newline after each line. */
  public String stderr() throws InterruptedException {
    return errAfterExit().stream().map(l -> l + "\n").collect(Collectors.joining());
  }

  /** Waits (up to 60 s) for a stderr line matching, and returns it. */
  public String awaitErr(Predicate<String> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (true) {
      String line = err.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no matching stderr line within " + WAIT_SECONDS + " s; seen: " + errSeen);
      }
      errSeen.add(line);
      if (match.test(line)) {
        return line;
      }
    }
  }

  /** Stops with SIGTERM and returns the exit status. */
  public int terminate() throws InterruptedException {
    process.destroy();
    return waitFor();
  }

  public int waitFor() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("process did not exit within 60 s");
    }
    return process.exitValue();
  }

  /** SIGKILL, and waits for the end: no graceful stop, a server's socket file stays behind. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    waitFor();
  }

  /** Sends {@code signal} (STOP, CONT, ...) with kill(1). */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
    if (!kill.waitFor(WAIT_SECONDS, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL, waiting up to 10 s for the end. */
  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
