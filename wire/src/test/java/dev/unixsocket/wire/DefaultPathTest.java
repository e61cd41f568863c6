package dev.unixsocket.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultPathTest {

  @Test
  void anExistingRuntimeDirHoldsTheSocket(@TempDir Path runtimeDir) {
    assertThat(DefaultPath.of(runtimeDir.toString())).isEqualTo(runtimeDir.resolve("unixsocket.sock").toString());
  }

  @Test
  void unsetBlankOrMissingRuntimeDirFallsBackToTmp(@TempDir Path parent) {
    assertThat(DefaultPath.of(null)).isEqualTo("/tmp/unixsocket.sock");
    assertThat(DefaultPath.of(" ")).isEqualTo("/tmp/unixsocket.sock");
    assertThat(DefaultPath.of(parent.resolve("gone").toString())).isEqualTo("/tmp/unixsocket.sock");
  }
}
