package dev.unixsocket.launcher;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where and how this process joins the clustered event bus: the address it binds and announces,
 * the members it contacts (Hazelcast TCP-IP join), its ports, the cluster's name and the event
 * bus's TLS. Every value can come from an environment variable ({@link #fromEnvironment}), which
 * is how the standard launcher ({@code -cluster}) gets what its own options cannot say.
 */
public final class ClusterSettings {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final String DEFAULT_NAME = "uds";
  /** Hazelcast's own port when none is given; the next free one is taken if it is in use. */
  public static final int DEFAULT_HAZELCAST_PORT = 5701;

  public static final String ENV_HOST = "UDS_CLUSTER_HOST";
  public static final String ENV_MEMBERS = "UDS_CLUSTER_MEMBERS";
  public static final String ENV_PORT = "UDS_CLUSTER_PORT";
  public static final String ENV_HAZELCAST_PORT = "UDS_HAZELCAST_PORT";
  public static final String ENV_NAME = "UDS_CLUSTER_NAME";
  public static final String ENV_TLS_KEYSTORE = "UDS_CLUSTER_TLS_KEYSTORE";
  public static final String ENV_TLS_TRUSTSTORE = "UDS_CLUSTER_TLS_TRUSTSTORE";
  public static final String ENV_TLS_PASSWORD = "UDS_CLUSTER_TLS_PASSWORD";

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern MEMBER = Pattern.compile("[A-Za-z0-9.-]+(:\\d{1,5})?");

  private String host = DEFAULT_HOST;
  /** Empty: the cluster host itself (a cluster that starts with this node). */
  private List<String> members = List.of();
  private int eventBusPort;
  /** 0: {@link #DEFAULT_HAZELCAST_PORT} or the next free one. */
  private int hazelcastPort;
  private String name = DEFAULT_NAME;
  /** Both null without TLS. */
  private KeyStoreOptionsBase tlsKeyStore;
  private KeyStoreOptionsBase tlsTrustStore;

  /** Settings from {@code UDS_CLUSTER_*} variables (unset ones keep their defaults); a bad value names its variable. */
  public static ClusterSettings fromEnvironment(Map<String, String> env) {
    ClusterSettings s = new ClusterSettings();
    try {
      if (env.get(ENV_HOST) != null) {
        s.setHost(env.get(ENV_HOST));
      }
      if (env.get(ENV_MEMBERS) != null) {
        s.setMembers(env.get(ENV_MEMBERS));
      }
      if (env.get(ENV_PORT) != null) {
        s.setEventBusPort(parsePort(env.get(ENV_PORT)));
      }
      if (env.get(ENV_HAZELCAST_PORT) != null) {
        s.setHazelcastPort(parsePort(env.get(ENV_HAZELCAST_PORT)));
      }
      if (env.get(ENV_NAME) != null) {
        s.setName(env.get(ENV_NAME));
      }
      s.setTls(env.get(ENV_TLS_KEYSTORE), env.get(ENV_TLS_TRUSTSTORE), env.get(ENV_TLS_PASSWORD));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("environment: " + e.getMessage(), e);
    }
    return s;
  }

  /** The address to bind and announce: an IPv4 address of one interface, never the wildcard. */
  public ClusterSettings setHost(String host) {
    if (host == null || !IPV4.matcher(host).matches()) {
      throw new IllegalArgumentException("cluster host must be an IPv4 address of this machine, got '" + host + "'");
    }
    if (host.equals("0.0.0.0")) {
      throw new IllegalArgumentException("cluster host must be one interface's address, not the wildcard 0.0.0.0");
    }
    this.host = host;
    return this;
  }

  /** {@code HOST[:PORT],...}: members to contact when joining; blank means none but this node. */
  public ClusterSettings setMembers(String list) {
    List<String> parsed = new ArrayList<>();
    for (String m : list.split(",")) {
      String member = m.trim();
      if (member.isEmpty()) {
        continue;
      }
      if (!MEMBER.matcher(member).matches()) {
        throw new IllegalArgumentException("cluster member must be HOST or HOST:PORT, got '" + member + "'");
      }
      int colon = member.indexOf(':');
      if (colon >= 0) {
        parsePort(member.substring(colon + 1));
      }
      parsed.add(member);
    }
    this.members = List.copyOf(parsed);
    return this;
  }

  /** The event bus's TCP port; 0 for any free port. */
  public ClusterSettings setEventBusPort(int port) {
    this.eventBusPort = checkPort(port, "cluster port");
    return this;
  }

  /** Hazelcast's port; 0 for {@value #DEFAULT_HAZELCAST_PORT} or the next free one. */
  public ClusterSettings setHazelcastPort(int port) {
    this.hazelcastPort = checkPort(port, "hazelcast port");
    return this;
  }

  /** Nodes join only a cluster of the same name (a separation, not a secret). */
  public ClusterSettings setName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("cluster name must not be empty");
    }
    this.name = name;
    return this;
  }

  /**
   * TLS for the event bus: this node's key store, the trust store (default: the key store) and
   * their password; all null for none.
   */
  public ClusterSettings setTls(String keyStore, String trustStore, String password) {
    if (keyStore == null && trustStore != null) {
      throw new IllegalArgumentException("a cluster TLS trust store needs a key store too");
    }
    if (keyStore != null && (password == null || password.isEmpty())) {
      throw new IllegalArgumentException("a cluster TLS key store needs its password (" + ENV_TLS_PASSWORD + ")");
    }
    // Opened now, so that a wrong path or password is a clear error at start, not a failed handshake later.
    this.tlsKeyStore = keyStore == null ? null : EventBusTls.open(keyStore, password, "key store");
    this.tlsTrustStore = keyStore == null ? null : EventBusTls.open(trustStore == null ? keyStore : trustStore, password, "trust store");
    return this;
  }

  public String host() {
    return host;
  }

  /** The members to contact; the cluster host when none were given. */
  public List<String> members() {
    return members.isEmpty() ? List.of(host) : members;
  }

  public int eventBusPort() {
    return eventBusPort;
  }

  public int hazelcastPort() {
    return hazelcastPort;
  }

  public String name() {
    return name;
  }

  public boolean tls() {
    return tlsKeyStore != null;
  }

  /**
   * Binds the event bus to the cluster host and announces it there, unless another public host
   * was set; with TLS, both ways: this node's certificate, peers' checked against the trust
   * store, and a client certificate required of every node that connects.
   */
  public void applyTo(EventBusOptions eventBus) {
    eventBus.setHost(host).setPort(eventBusPort);
    if (eventBus.getClusterPublicHost() == null) {
      eventBus.setClusterPublicHost(host);
    }
    if (tls()) {
      EventBusTls.apply(eventBus, tlsKeyStore, tlsTrustStore);
    }
  }

  /**
   * A Hazelcast cluster manager for these settings; it starts Hazelcast when Vert.x joins. Call
   * it before building Vert.x: it also turns off Vert.x's own DNS client for this JVM, whose UDP
   * socket would be bound to the wildcard address as soon as the event bus connects to a node
   * (nodes announce IP addresses; the JDK's resolver needs no socket of its own).
   */
  public HazelcastClusterManager clusterManager() {
    System.setProperty("vertx.disableDnsResolver", "true");
    return new HazelcastClusterManager(HazelcastConfig.of(this));
  }

  static int parsePort(String text) {
    try {
      return checkPort(Integer.parseInt(text.trim()), "port");
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port must be a number from 0 to 65535, got '" + text + "'");
    }
  }

  private static int checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " must be from 0 to 65535, got " + port);
    }
    return port;
  }
}
