package dev.unixsocket.server;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** sd_listen_fds(3) as SocketActivation reads it; the real thing runs in the launcher's RestartProcessTest. */
class SocketActivationTest {

  private static final long OURS = ProcessHandle.current().pid();

  @Test
  void notActivatedWithoutListenPid() {
    assertThat(SocketActivation.listenFd(Map.of("LISTEN_FDS", "1"), OURS, null)).isEqualTo(-1);
  }

  @Test
  void variablesMeantForAnotherProcessAreIgnored() {
    assertThat(SocketActivation.listenFd(Map.of("LISTEN_PID", "1", "LISTEN_FDS", "1"), OURS, null)).isEqualTo(-1);
  }

  @Test
  void malformedVariablesAreOneLineErrors() {
    assertThatThrownBy(() -> SocketActivation.listenFd(Map.of("LISTEN_PID", "x"), OURS, null))
        .isInstanceOf(ServerStartException.class).hasMessage("socket activation: LISTEN_PID is not a number: 'x'");
    assertThatThrownBy(() -> SocketActivation.listenFd(Map.of("LISTEN_PID", "" + OURS, "LISTEN_FDS", "0"), OURS, null))
        .isInstanceOf(ServerStartException.class)
        .hasMessage("socket activation: LISTEN_PID names this process but LISTEN_FDS is 0; pass a socket (ListenStream= in the .socket unit)");
  }

  @Test
  void aDescriptorThatIsNotAListeningUnixSocketIsRefusedSayingWhat() {
    // In a test JVM fd 3 is whatever the JVM opened first (a jar, a pipe), never a listening Unix socket.
    assertThatThrownBy(() -> SocketActivation.listenFd(Map.of("LISTEN_PID", "" + OURS, "LISTEN_FDS", "1"), OURS, null))
        .isInstanceOf(ServerStartException.class).hasMessageStartingWith("socket activation: fd 3 is not ");
  }
}
