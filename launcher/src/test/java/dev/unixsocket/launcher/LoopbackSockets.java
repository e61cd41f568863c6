package dev.unixsocket.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP and UDP sockets a process holds, read from {@code /proc}: its fds name socket inodes,
 * {@code /proc/PID/net/*} gives each inode's local address.
 */
final class LoopbackSockets {

  private LoopbackSockets() {
  }

  /** One socket: protocol, local address as the kernel prints it (hex), and the state (0A = LISTEN). */
  record Socket(String protocol, String localAddress, String state) {
    /** 127.0.0.1, plain or as an IPv4-mapped IPv6 address. */
    boolean loopback() {
      String host = localAddress.substring(0, localAddress.indexOf(':'));
      return host.equals("0100007F") || host.equals("0000000000000000FFFF00000100007F");
    }
  }

  static List<Socket> of(long pid) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    List<Socket> sockets = new ArrayList<>();
    for (String protocol : List.of("tcp", "tcp6", "udp", "udp6")) {
      Path table = Path.of("/proc/" + pid + "/net/" + protocol);
      if (!Files.exists(table)) {
        continue;
      }
      for (String line : Files.readAllLines(table).subList(1, Files.readAllLines(table).size())) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        if (inodes.contains(f[9])) {
          sockets.add(new Socket(protocol, f[1], f[3]));
        }
      }
    }
    return sockets;
  }
}
