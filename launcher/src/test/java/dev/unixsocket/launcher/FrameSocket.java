package dev.unixsocket.launcher;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A peer that speaks length framing on a Unix socket, with blocking reads: what a foreign process would do. */
final class FrameSocket implements AutoCloseable {

  private final SocketChannel channel;

  FrameSocket(Path path) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(path));
  }

  void write(String text) throws IOException {
    byte[] p = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + p.length).putInt(p.length).put(p).flip();
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  String read() throws IOException {
    ByteBuffer header = fill(ByteBuffer.allocate(4));
    return new String(fill(ByteBuffer.allocate(header.flip().getInt())).array(), StandardCharsets.UTF_8);
  }

  private ByteBuffer fill(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        throw new IOException("closed by the server");
      }
    }
    return b;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
