package dev.unixsocket.launcher;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;

/**
 * The Hazelcast configuration of a uds cluster node, in code: the XML that vertx-hazelcast
 * falls back to joins by multicast and binds every interface. Here: TCP-IP join to the given
 * members only, Hazelcast's sockets on the cluster host only, no phone-home, no wait before
 * joining, logging through SLF4J, and the maps Vert.x keeps its registrations in.
 */
final class HazelcastConfig {

  private HazelcastConfig() {
  }

  static Config of(ClusterSettings settings) {
    // Read once, by Hazelcast's static logger factory, before any Hazelcast logger exists.
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    Config config = new Config();
    config.setClusterName(settings.name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // Without these Hazelcast listens on 0.0.0.0 and binds its outgoing sockets there too.
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.socket.client.bind.any", "false");
    // The default waits 5 s before joining, for members that may still be starting.
    config.setProperty("hazelcast.wait.seconds.before.join", "0");

    NetworkConfig network = config.getNetworkConfig();
    int port = settings.hazelcastPort();
    network.setPort(port == 0 ? ClusterSettings.DEFAULT_HAZELCAST_PORT : port).setPortAutoIncrement(port == 0);
    network.getInterfaces().setEnabled(true).addInterface(settings.host());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());

    // As vertx-hazelcast's default-cluster.xml: one backup of the registrations and node infos.
    config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));

    config.addListenerConfig(new ListenerConfig(new MembershipLog(settings.name())));
    return config;
  }
}
