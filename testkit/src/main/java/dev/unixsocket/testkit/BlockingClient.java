package dev.unixsocket.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** A plain blocking JDK client, independent of Vert.x and Netty, to talk to the server under test. */
public final class BlockingClient implements AutoCloseable {

  private final SocketChannel channel;

  private BlockingClient(SocketChannel channel) {
    this.channel = channel;
  }

  /** Connects to {@code path}; a refused connect or a missing socket file throws, as for any client. */
  public static BlockingClient connect(Path path) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(path));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new BlockingClient(ch);
  }

  public void writeRaw(byte[] bytes) throws IOException {
    writeAll(ByteBuffer.wrap(bytes));
  }

  /** Length frames, all in one write: the server reads them together. */
  public void writeFramesAtOnce(List<String> texts) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (String text : texts) {
      bytes.writeBytes(lengthFrame(text));
    }
    writeRaw(bytes.toByteArray());
  }

  public void writeFrame(String text) throws IOException {
    writeRaw(lengthFrame(text));
  }

  private static byte[] lengthFrame(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  private void writeAll(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  public String readFrame() throws IOException {
    ByteBuffer header = readFully(4);
    return StandardCharsets.UTF_8.decode(readFully(header.getInt())).toString();
  }

  /** A control frame of the length framing: 0x80, code, payload length (2 bytes), payload. */
  public void writeControl(int code, byte... payload) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + payload.length).put((byte) 0x80).put((byte) code)
        .putShort((short) payload.length).put(payload).flip();
    writeAll(b);
  }

  /** What came next: a data frame (code -1) or a control frame (its code), with its payload as text. */
  public record Received(int code, String text) {
    public static Received data(String text) {
      return new Received(-1, text);
    }
  }

  /** Reads the next frame of the length framing, data or control. */
  public Received read() throws IOException {
    int header = readFully(4).getInt();
    if (header < 0) {
      int code = (header >>> 16) & 0xff;
      return new Received(code, StandardCharsets.UTF_8.decode(readFully(header & 0xffff)).toString());
    }
    return Received.data(StandardCharsets.UTF_8.decode(readFully(header)).toString());
  }

  public String readLine() throws IOException {
    StringBuilder sb = new StringBuilder();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      one.clear();
      if (channel.read(one) < 0) {
        throw new EOFException("closed after " + sb.length() + " chars of a line");
      }
      char c = (char) one.get(0);
      if (c == '\n') {
        return sb.toString();
      }
      sb.append(c);
    }
  }

  /** True when the server has closed the connection (read gives end of stream or a reset). */
  public boolean closedByPeer() {
    try {
      return channel.read(ByteBuffer.allocate(1)) < 0;
    } catch (IOException e) {
      return true;
    }
  }

  /** The next {@code n} bytes, as they come: a frame's parts, or several frames. */
  public byte[] readBytes(int n) throws IOException {
    return readFully(n).array();
  }

  private ByteBuffer readFully(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        throw new EOFException("closed with " + b.remaining() + " of " + n + " bytes missing");
      }
    }
    return b.flip();
  }

  /** Half-close: tell the server we send no more, keep reading. */
  public void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  public void configureNonBlocking() throws IOException {
    channel.configureBlocking(false);
  }

  /** Back to blocking reads and writes, after {@link #configureNonBlocking}. */
  public void configureBlocking() throws IOException {
    channel.configureBlocking(true);
  }

  /**
   * Writes length frames carrying {@code payload}, without reading, until the server takes nothing
   * for 0.5 s or {@code maxBytes} went; the bytes written (the last frame may be incomplete). Leaves
   * the channel non-blocking.
   */
  public long writeFramesUntilRefused(byte[] payload, long maxBytes) throws IOException, InterruptedException {
    configureNonBlocking();
    ByteBuffer frame = ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).flip();
    long written = 0;
    int refused = 0;
    while (refused < 50 && written < maxBytes) {
      if (!frame.hasRemaining()) {
        frame.rewind(); // the next frame, once this one went whole
      }
      int n = channel.write(frame);
      if (n == 0) {
        refused++;
        Thread.sleep(10);
      } else {
        refused = 0;
        written += n;
      }
    }
    return written;
  }

  /** With a non-blocking channel: writes what the kernel takes now, returns how much. */
  public int tryWrite(ByteBuffer bytes) throws IOException {
    return channel.write(bytes);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
