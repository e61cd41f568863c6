package dev.unixsocket.launcher;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Clustered Vert.x nodes in this JVM, on loopback, configured as {@code uds --cluster} would:
 * a cluster name of their own (so that a concurrent test run never joins them), the first
 * node's Hazelcast address as every later node's member list.
 */
final class ClusterNodes implements AutoCloseable {

  private final String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<Vertx> nodes = new ArrayList<>();
  private String seed;

  String name() {
    return name;
  }

  /** {@code 127.0.0.1:PORT} of the first node's Hazelcast; null before it started. */
  String seed() {
    return seed;
  }

  /** The settings a new node of this cluster gets. */
  ClusterSettings settings() {
    return new ClusterSettings().setName(name).setMembers(seed == null ? "" : seed);
  }

  Vertx start() {
    return start(UnaryOperator.identity());
  }

  /** Starts a node with these settings, adjusted. */
  Vertx start(UnaryOperator<ClusterSettings> adjust) {
    ClusterSettings settings = adjust.apply(settings());
    VertxOptions options = new VertxOptions();
    settings.applyTo(options.getEventBusOptions());
    HazelcastClusterManager manager = settings.clusterManager();
    Vertx vertx;
    try {
      vertx = Vertx.builder().with(options).withClusterManager(manager).buildClustered().await(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not start: " + e, e);
    }
    nodes.add(vertx);
    if (seed == null) {
      seed = "127.0.0.1:" + manager.getHazelcastInstance().getCluster().getLocalMember().getAddress().getPort();
    }
    return vertx;
  }

  @Override
  public void close() {
    for (Vertx v : nodes) {
      try {
        v.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // already closed by the test, or gone: nothing left to release
      }
    }
  }
}
