package dev.unixsocket.launcher;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSettingsTest {

  @Test
  void defaultsAreLoopbackAndTheClusterHostAsTheOnlyMember() {
    ClusterSettings s = ClusterSettings.fromEnvironment(Map.of());
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.members()).containsExactly("127.0.0.1");
    assertThat(s.name()).isEqualTo("uds");
    assertThat(s.eventBusPort()).isZero();
    assertThat(s.tls()).isFalse();
  }

  @Test
  void environmentVariablesSetEveryValue() {
    ClusterSettings s = ClusterSettings.fromEnvironment(Map.of("UDS_CLUSTER_HOST", "10.0.0.5", "UDS_CLUSTER_MEMBERS",
        "10.0.0.6:5701, node-b ,", "UDS_CLUSTER_PORT", "7000", "UDS_HAZELCAST_PORT", "5801", "UDS_CLUSTER_NAME", "prod"));
    assertThat(s.host()).isEqualTo("10.0.0.5");
    assertThat(s.members()).containsExactly("10.0.0.6:5701", "node-b");
    assertThat(s.eventBusPort()).isEqualTo(7000);
    assertThat(s.hazelcastPort()).isEqualTo(5801);
    assertThat(s.name()).isEqualTo("prod");
  }

  @Test
  void badValuesAreOneLineNamingWhatIsWrong() {
    assertThatThrownBy(() -> new ClusterSettings().setHost("localhost"))
        .hasMessage("cluster host must be an IPv4 address of this machine, got 'localhost'");
    assertThatThrownBy(() -> new ClusterSettings().setHost("0.0.0.0"))
        .hasMessage("cluster host must be one interface's address, not the wildcard 0.0.0.0");
    assertThatThrownBy(() -> new ClusterSettings().setMembers("a:1:2"))
        .hasMessage("cluster member must be HOST or HOST:PORT, got 'a:1:2'");
    assertThatThrownBy(() -> new ClusterSettings().setMembers("a:70000"))
        .hasMessage("port must be from 0 to 65535, got 70000");
    assertThatThrownBy(() -> ClusterSettings.fromEnvironment(Map.of("UDS_CLUSTER_PORT", "x")))
        .hasMessage("environment: port must be a number from 0 to 65535, got 'x'");
    assertThatThrownBy(() -> new ClusterSettings().setTls("/tmp/k.p12", null, null))
        .hasMessage("a cluster TLS key store needs its password (UDS_CLUSTER_TLS_PASSWORD)");
    assertThatThrownBy(() -> new ClusterSettings().setTls("/tmp/none-such.p12", null, "pw"))
        .hasMessage("cannot open cluster TLS key store /tmp/none-such.p12: no such file");
  }

  @Test
  void aWrongKeyStorePasswordIsRefusedAtOnce(@TempDir Path dir) throws Exception {
    Path store = TestKeyStores.create(dir, "node", "secret");
    assertThatThrownBy(() -> new ClusterSettings().setTls(store.toString(), null, "wrong"))
        .hasMessageStartingWith("cannot open cluster TLS key store " + store + ": ");
  }

  @Test
  void hazelcastJoinsByTcpIpOnlyAndBindsTheClusterHostOnly() {
    Config c = HazelcastConfig.of(new ClusterSettings().setHost("10.1.2.3").setMembers("10.1.2.4:5701").setName("n"));
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.1.2.4:5701");
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("10.1.2.3");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(c.getNetworkConfig().isPortAutoIncrement()).isTrue();
    assertThat(c.getClusterName()).isEqualTo("n");
    assertThat(c.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(c.getProperty("hazelcast.socket.client.bind.any")).isEqualTo("false");
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(c.getMultiMapConfig("__vertx.subs").getBackupCount()).isEqualTo(1);

    Config fixed = HazelcastConfig.of(new ClusterSettings().setHazelcastPort(5801));
    assertThat(fixed.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(fixed.getNetworkConfig().isPortAutoIncrement()).isFalse();
  }

  @Test
  void theEventBusBindsAndAnnouncesTheClusterHost() {
    EventBusOptions eb = new EventBusOptions();
    new ClusterSettings().setHost("10.1.2.3").setEventBusPort(7000).applyTo(eb);
    assertThat(eb.getHost()).isEqualTo("10.1.2.3");
    assertThat(eb.getClusterPublicHost()).isEqualTo("10.1.2.3");
    assertThat(eb.getPort()).isEqualTo(7000);
    assertThat(eb.isSsl()).isFalse();
  }

  @Test
  void tlsIsMutualAndTrustsOnlyTheTrustStore(@TempDir Path dir) throws Exception {
    Path store = TestKeyStores.create(dir, "node", "secret");
    EventBusOptions eb = new EventBusOptions();
    new ClusterSettings().setTls(store.toString(), null, "secret").applyTo(eb);
    assertThat(eb.isSsl()).isTrue();
    assertThat(eb.isTrustAll()).isFalse();
    assertThat(eb.getClientAuth()).isEqualTo(ClientAuth.REQUIRED);
    assertThat(eb.getKeyCertOptions()).isNotNull();
    assertThat(eb.getTrustOptions()).isNotNull();
  }

  @Test
  void clusterOptionsWithoutClusterAreBadUsage() {
    CommandLine cl = Main.commandLine("server");
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("server", "--cluster-host", "127.0.0.1")).isEqualTo(2);
    assertThat(err.toString()).startsWith("uds server: the --cluster-* and --hazelcast-port options need --cluster");
    err.getBuffer().setLength(0);
    assertThat(cl.execute("server", "--cluster", "--cluster-host", "0.0.0.0")).isEqualTo(2);
    assertThat(err.toString()).startsWith("uds server: cluster host must be one interface's address, not the wildcard 0.0.0.0");
  }
}
