package dev.unixsocket.server;

import dev.unixsocket.transport.TransportChoice;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SocketFileTest {

  @Test
  void windowsDriveUnderWslIsRefusedWithTheFix() {
    assertThatThrownBy(() -> SocketFile.prepare("/mnt/c/x.sock", 0600, true))
        .isInstanceOf(ServerStartException.class)
        .hasMessage("cannot listen on /mnt/c/x.sock: Windows drives do not hold Unix sockets under WSL2; use a path such as /tmp/x.sock");
  }

  @Test
  void mntPathOutsideWslIsJustAPath() {
    assertThatThrownBy(() -> SocketFile.prepare("/mnt/c/x.sock", 0600, false))
        .isInstanceOf(ServerStartException.class)
        .hasMessageNotContaining("WSL2");
  }

  @Test
  void unwritableDirectoryIsAClearError() {
    // /proc is not writable even by root.
    assertThatThrownBy(() -> SocketFile.prepare("/proc/x.sock", 0600, false))
        .isInstanceOf(ServerStartException.class)
        .hasMessageContaining("not writable");
  }

  @Test
  void ioUringChoiceGivesTheDomainSocketCapableTransport() {
    org.junit.jupiter.api.Assumptions.assumeTrue(dev.unixsocket.transport.IoUringDomainSocketTransport.TRANSPORT.available());
    assertThat(TransportChoice.IO_URING.resolve()).isSameAs(dev.unixsocket.transport.IoUringDomainSocketTransport.TRANSPORT);
    assertThat(TransportChoice.IO_URING.resolve().name()).isEqualTo("io_uring");
  }

  @Test
  void optionsRoundTripThroughJson() {
    ServerOptions o = new ServerOptions().setPath("/tmp/a.sock").setSocketMode(0660).setInstances(3).setEchoPrefix("");
    assertThat(new ServerOptions(o.toJson()).toJson()).isEqualTo(o.toJson());
    assertThat(o.toJson().getString("socketMode")).isEqualTo("660");
  }

  @Test
  void settersStateTheRule() {
    assertThatThrownBy(() -> new ServerOptions().setSocketMode(01000)).hasMessageContaining("between 0 and 0777");
    assertThatThrownBy(() -> new ServerOptions().setInstances(0)).hasMessage("instances must be >= 1, was 0");
    assertThatThrownBy(() -> ServerOptions.parseMode("rw")).hasMessageContaining("octal");
  }

  @Test
  void directoryOthersCanWriteWithoutStickyBitIsFlagged() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "udsw");
    try {
      java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      assertThat(SocketFile.warnIfOthersCanReplace(dir)).isTrue();
      assertThat(SocketFile.warnIfOthersCanReplace(java.nio.file.Path.of("/tmp"))).as("/tmp has the sticky bit").isFalse();
      java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      assertThat(SocketFile.warnIfOthersCanReplace(dir)).isFalse();
    } finally {
      java.nio.file.Files.delete(dir);
    }
  }

  @Test
  void optionsDefaultToTheSharedDefaultPath() {
    assertThat(new ServerOptions().getPath()).isEqualTo(dev.unixsocket.wire.DefaultPath.get());
  }
}
