package dev.unixsocket.server;

import dev.unixsocket.testkit.SocketPaths;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mechanism behind the 64 KiB cliff (issue 11, bench/NOTES.md): with 64 KiB frames, several
 * connections and several frames in flight, the server's read buffers bypassed the pooled
 * allocator's thread cache, and the reply slices that keep them alive until written made a 4 MiB
 * arena chunk fill and empty over and over; each time Netty freed the chunk and allocated a new one
 * (zeroed, page-faulted in). Here: once warmed up, steady 64 KiB echo load allocates no new chunk.
 * Counted with Netty's own JFR event ({@code io.netty.AllocateChunk}) on the server's event loop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LargeFrameBuffersTest {

  private static final int PAYLOAD = 64 * 1024;
  /** 4 x 4, as in issue 11's table; 1 x 4 and 4 x 1 did not churn before the fix either. */
  private static final int CONNECTIONS = 4;
  private static final int IN_FLIGHT = 4;
  private static final byte[] PREFIX = ServerOptions.DEFAULT_ECHO_PREFIX.getBytes(StandardCharsets.US_ASCII);

  private Vertx vertx;
  private final Path path = SocketPaths.fresh();

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(path);
  }

  @Test
  void steady64KiBEchoLoadAllocatesNoNewChunk(@TempDir Path dir) throws Exception {
    vertx = Vertx.builder().withTransport(Transport.EPOLL).build();
    vertx.deployVerticle(new ServerVerticle(new ServerOptions().setPath(path.toString())))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);

    load(1_000); // warm-up: the chunks and caches the load needs at all
    Path file = dir.resolve("chunks.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("io.netty.AllocateChunk").withStackTrace();
      recording.start();
      load(4_000);
      recording.stop();
      recording.dump(file);
    }

    List<String> fresh = new ArrayList<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String thread = e.getThread() == null ? "" : e.getThread().getJavaName();
      if (thread.startsWith("vert.x-eventloop")) {
        fresh.add(e.getStartTime() + " " + e.getValue("capacity") + " bytes on " + thread);
      }
    }
    // So that "none" means none happened, not that Netty no longer has the event.
    assertThat(FlightRecorder.getFlightRecorder().getEventTypes()).extracting(EventType::getName)
        .contains("io.netty.AllocateChunk");
    // Before the fix (64 KiB reads): 14 new 4 MiB chunks in 6,000 frames here.
    assertThat(fresh).as("arena chunks allocated by the server while serving 4,000 frames of 64 KiB").isEmpty();
  }

  /** {@code frames} echoes of 64 KiB over CONNECTIONS connections, IN_FLIGHT frames in flight on each, verified. */
  private void load(int frames) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        done.add(pool.submit(() -> echo(frames / CONNECTIONS)));
      }
      for (Future<Integer> f : done) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(frames / CONNECTIONS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One connection: keeps IN_FLIGHT frames in flight; every reply checked against prefix + payload. */
  private int echo(int frames) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(path));
      ByteBuffer frame = ByteBuffer.allocateDirect(4 + PAYLOAD);
      ByteBuffer reply = ByteBuffer.allocateDirect(4 + PREFIX.length + PAYLOAD);
      int sent = 0;
      int received = 0;
      while (sent < IN_FLIGHT && sent < frames) {
        write(ch, frame, sent++);
      }
      while (received < frames) {
        reply.clear();
        while (reply.hasRemaining()) {
          if (ch.read(reply) < 0) {
            throw new IOException("closed by the server after " + received + " replies");
          }
        }
        check(reply.flip(), received++);
        if (sent < frames) {
          write(ch, frame, sent++);
        }
      }
      return received;
    }
  }

  private static void write(SocketChannel ch, ByteBuffer frame, int seq) throws IOException {
    frame.clear().putInt(PAYLOAD);
    for (int i = 0; i < PAYLOAD; i += 4) {
      frame.putInt(seq * 31 + i);
    }
    frame.flip();
    while (frame.hasRemaining()) {
      ch.write(frame);
    }
  }

  private static void check(ByteBuffer reply, int seq) throws IOException {
    int length = reply.getInt();
    byte[] prefix = new byte[PREFIX.length];
    reply.get(prefix);
    boolean ok = length == PREFIX.length + PAYLOAD && java.util.Arrays.equals(prefix, PREFIX);
    for (int i = 0; ok && i < PAYLOAD; i += 4) {
      ok = reply.getInt() == seq * 31 + i;
    }
    if (!ok) {
      throw new IOException("reply " + seq + " is not prefix + payload");
    }
  }
}
