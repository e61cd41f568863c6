package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Restarts without refusals, with real server processes (issue 10): {@code --replace} while a
 * prober connects every few milliseconds; systemd socket activation, under
 * {@code systemd-socket-activate} and under bench/sd-activate.py, which keeps the socket across
 * a restart as a .socket unit does.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestartProcessTest {

  private final Path path = Path.of("/tmp/ur-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
  private final List<ChildProcess> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    processes.forEach(ChildProcess::close);
    Files.deleteIfExists(path);
  }

  private ChildProcess track(ChildProcess p) {
    processes.add(p);
    return p;
  }

  private ChildProcess server(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("server", "--path", path.toString()));
    args.addAll(List.of(extra));
    ChildProcess p = track(ChildProcess.start(Main.class, args.toArray(String[]::new)));
    assertThat(p.nextOut()).startsWith("listening on " + path);
    return p;
  }

  @Test
  void replaceTakesOverWithoutRefusingAConnectionAndTheOldServerExitsZero() throws Exception {
    ChildProcess old = server();
    Object oldInode = inode(path);
    try (Prober prober = new Prober(path)) {
      await().atMost(30, TimeUnit.SECONDS).until(() -> prober.answered.get() > 0);
      ChildProcess newer = server("--replace");
      assertThat(old.waitFor()).isZero();
      int before = prober.answered.get();
      await().atMost(30, TimeUnit.SECONDS).until(() -> prober.answered.get() > before);
      prober.close();
      assertThat(prober.refused).isEmpty();
      assertThat(prober.failed).isEmpty();
      assertThat(inode(path)).isNotEqualTo(oldInode);
      assertThat(echo(path, "new")).isEqualTo("echo:new");
      assertThat(newer.terminate()).isZero();
    }
    assertThat(path).doesNotExist();
  }

  @Test
  void aServerOfTheStandardLauncherTakenOverExitsZero() throws Exception {
    // It used to undeploy and drain, then live on as a JVM with nothing deployed.
    ChildProcess old = track(ChildProcess.start(Main.class, "dev.unixsocket.server.ServerVerticle", "-conf",
        new io.vertx.core.json.JsonObject().put("path", path.toString()).encode()));
    old.awaitErr(l -> l.contains("ServerVerticle - listening on " + path));
    server("--replace");
    assertThat(old.waitFor()).isZero();
    assertThat(echo(path, "new")).isEqualTo("echo:new");
  }

  @Test
  void consoleStreamThroughTermRestartsAndTakeoversIsAnsweredExactlyOnceInOrder() throws Exception {
    ChildProcess server = server();
    ChildProcess client = track(ChildProcess.start(Main.class, "client", "--path", path.toString(), "--reconnect-initial", "50",
        "--reconnect-max", "500", "--wait", "60"));
    client.awaitErr(l -> l.startsWith("uds client: CONNECTED "));
    java.util.concurrent.atomic.AtomicBoolean feeding = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger typed = new java.util.concurrent.atomic.AtomicInteger();
    Thread feeder = new Thread(() -> {
      try {
        while (feeding.get()) {
          client.typeLine("m-" + typed.getAndIncrement());
          Thread.sleep(2);
        }
        client.typeLine("q");
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    feeder.start();
    List<String> replies = new ArrayList<>();
    // TERM + start twice and --replace twice, alternately, each once replies flow again.
    for (int cycle = 0; cycle < 4; cycle++) {
      for (int more = replies.size() + 200; replies.size() < more; ) {
        replies.add(client.nextOut());
      }
      if (cycle % 2 == 0) {
        assertThat(server.terminate()).isZero();
        server = server();
      } else {
        ChildProcess old = server;
        server = server("--replace");
        assertThat(old.waitFor()).isZero();
      }
    }
    for (int more = replies.size() + 200; replies.size() < more; ) {
      replies.add(client.nextOut());
    }
    feeding.set(false);
    feeder.join();
    int total = typed.get();
    while (replies.size() < total) {
      replies.add(client.nextOut());
    }
    assertThat(client.waitFor()).isZero();
    assertThat(replies).isEqualTo(java.util.stream.IntStream.range(0, total).mapToObj(i -> "echo:m-" + i).toList());
    assertThat(client.awaitErr(l -> l.contains(" sent, "))).endsWith(total + " sent, " + total + " replied, 0 failed");
    assertThat(server.terminate()).isZero();
  }

  @Test
  void socketActivatedServerAnswersItsFirstConnectionOnTheInheritedSocketAndLeavesItInPlace() throws Exception {
    assumeThat(onPath("systemd-socket-activate")).as("systemd-socket-activate installed").isTrue();
    ChildProcess server = track(ChildProcess.startUnder(List.of("systemd-socket-activate", "-l", path.toString()),
        Main.class, "server", "--path", path.toString()));
    await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    Object before = inode(path);
    // systemd-socket-activate starts the server on this first connection, which waits in the backlog.
    assertThat(echo(path, "first")).isEqualTo("echo:first");
    assertThat(server.nextOut()).isEqualTo("listening on " + path + " (transport epoll, framing length, inherited fd 3)");
    assertThat(inode(path)).isEqualTo(before);
    assertThat(server.terminate()).isZero();
    assertThat(inode(path)).as("the socket is systemd's: never unlinked").isEqualTo(before);
  }

  @Test
  void socketActivatedRestartKeepsConnectionsWaitingInsteadOfRefused() throws Exception {
    assumeThat(onPath("python3")).as("python3 installed (bench/sd-activate.py)").isTrue();
    Path holder = Path.of("..", "bench", "sd-activate.py").toAbsolutePath().normalize();
    ChildProcess units = track(ChildProcess.startUnder(List.of("python3", holder.toString(), path.toString(),
        "--restarts", "1", "--"), Main.class, "server", "--path", path.toString()));
    long first = Long.parseLong(units.awaitOut(l -> l.startsWith("started ")).substring(8));
    units.awaitOut(l -> l.startsWith("listening on " + path));
    try (Prober prober = new Prober(path)) {
      await().atMost(30, TimeUnit.SECONDS).until(() -> prober.answered.get() > 0);
      ProcessHandle.of(first).orElseThrow().destroy(); // SIGTERM, as systemctl restart sends
      assertThat(units.awaitOut(l -> l.startsWith("exited "))).isEqualTo("exited " + first + " status 0");
      long second = Long.parseLong(units.awaitOut(l -> l.startsWith("started ")).substring(8));
      units.awaitOut(l -> l.startsWith("listening on " + path));
      int before = prober.answered.get();
      await().atMost(30, TimeUnit.SECONDS).until(() -> prober.answered.get() > before);
      prober.close();
      assertThat(prober.refused).isEmpty();
      assertThat(prober.failed).isEmpty();
      ProcessHandle.of(second).orElseThrow().destroy();
    }
    assertThat(units.waitFor()).isZero();
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static Object inode(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private static String echo(Path path, String text) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(path));
      byte[] p = text.getBytes(StandardCharsets.UTF_8);
      ch.write(ByteBuffer.allocate(4 + p.length).putInt(p.length).put(p).flip());
      ByteBuffer header = ByteBuffer.allocate(4);
      while (header.hasRemaining() && ch.read(header) >= 0) {
        // fill
      }
      ByteBuffer body = ByteBuffer.allocate(header.flip().getInt());
      while (body.hasRemaining() && ch.read(body) >= 0) {
        // fill
      }
      return new String(body.array(), StandardCharsets.UTF_8);
    }
  }
}
