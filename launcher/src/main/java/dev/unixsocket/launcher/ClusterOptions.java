package dev.unixsocket.launcher;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --cluster} options, shared by the commands that run a verticle. Each one not given
 * falls back to its {@code UDS_CLUSTER_*} environment variable, as the standard launcher's do.
 */
final class ClusterOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--cluster",
      description = "Join a Vert.x clustered event bus (Hazelcast, TCP-IP join; see docs/cluster.md).")
  boolean cluster;

  @Option(names = "--cluster-host", paramLabel = "ADDR",
      description = "With --cluster: IPv4 address this node binds and announces (env UDS_CLUSTER_HOST; default: "
          + ClusterSettings.DEFAULT_HOST + ").")
  String host;

  @Option(names = "--cluster-members", paramLabel = "HOST[:PORT],...",
      description = "With --cluster: members to join, Hazelcast ports (env UDS_CLUSTER_MEMBERS; default: the cluster host).")
  String members;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "With --cluster: event-bus port (env UDS_CLUSTER_PORT; default: 0 = any free port).")
  Integer eventBusPort;

  @Option(names = "--hazelcast-port", paramLabel = "PORT",
      description = "With --cluster: Hazelcast's port (env UDS_HAZELCAST_PORT; default: "
          + ClusterSettings.DEFAULT_HAZELCAST_PORT + " or the next free one).")
  Integer hazelcastPort;

  @Option(names = "--cluster-name", paramLabel = "NAME",
      description = "With --cluster: join only members of this cluster (env UDS_CLUSTER_NAME; default: "
          + ClusterSettings.DEFAULT_NAME + ").")
  String name;

  @Option(names = "--cluster-tls-keystore", paramLabel = "FILE",
      description = "With --cluster: TLS on the event bus with this node's key (PKCS12, or JKS if *.jks; env UDS_CLUSTER_TLS_KEYSTORE).")
  String tlsKeyStore;

  @Option(names = "--cluster-tls-truststore", paramLabel = "FILE",
      description = "With --cluster: certificates of trusted nodes or their CA (env UDS_CLUSTER_TLS_TRUSTSTORE; default: the key store).")
  String tlsTrustStore;

  @Option(names = "--cluster-tls-password", paramLabel = "SECRET",
      description = "Password of both stores; prefer env UDS_CLUSTER_TLS_PASSWORD (a command line is visible to ps).")
  String tlsPassword;

  /** The settings asked for, or null without {@code --cluster}; a bad value is a usage error (exit 2). */
  ClusterSettings settings() {
    if (!cluster) {
      if (host != null || members != null || eventBusPort != null || hazelcastPort != null || name != null
          || tlsKeyStore != null || tlsTrustStore != null || tlsPassword != null) {
        throw new ParameterException(mixee.commandLine(), "the --cluster-* and --hazelcast-port options need --cluster");
      }
      return null;
    }
    try {
      ClusterSettings s = ClusterSettings.fromEnvironment(System.getenv());
      if (host != null) {
        s.setHost(host);
      }
      if (members != null) {
        s.setMembers(members);
      }
      if (eventBusPort != null) {
        s.setEventBusPort(eventBusPort);
      }
      if (hazelcastPort != null) {
        s.setHazelcastPort(hazelcastPort);
      }
      if (name != null) {
        s.setName(name);
      }
      if (tlsKeyStore != null || tlsTrustStore != null || tlsPassword != null) {
        String env = System.getenv(ClusterSettings.ENV_TLS_PASSWORD);
        s.setTls(orEnv(tlsKeyStore, ClusterSettings.ENV_TLS_KEYSTORE), orEnv(tlsTrustStore, ClusterSettings.ENV_TLS_TRUSTSTORE),
            tlsPassword != null ? tlsPassword : env);
      }
      return s;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage());
    }
  }

  private static String orEnv(String value, String variable) {
    return value != null ? value : System.getenv(variable);
  }
}
