package dev.unixsocket.launcher;

import dev.unixsocket.server.ServerVerticle;
import dev.unixsocket.transport.TransportChoice;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * For {@code java -jar uds.jar <VerticleClass> -conf cfg.json}: the standard launcher, but on
 * the transport named by the config's {@code transport} field (default: epoll where available),
 * since the launcher alone would run on NIO. With {@code -cluster} it joins as {@code uds
 * --cluster} does: {@code -cluster-host} and {@code -cluster-port} from its own options, the
 * rest from the {@code UDS_CLUSTER_*} environment variables ({@link ClusterSettings}).
 */
final class StandardLaunchHooks implements VertxApplicationHooks {

  private static final Logger log = LoggerFactory.getLogger(StandardLaunchHooks.class);

  /** The launcher's spellings of its clustering flag. */
  private static final List<String> CLUSTER_FLAGS = List.of("-cluster", "--cluster", "-c");

  private final boolean clustered;
  private TransportChoice transport = TransportChoice.AUTO;
  /** Configured in {@link #beforeStartingVertx}, once the launcher has read -cluster-host; null unless clustered. */
  private HazelcastClusterManager clusterManager;

  StandardLaunchHooks(String[] args) {
    // Without -cluster no Hazelcast class is touched; with it, the manager must be given to the
    // builder, which the launcher asks for before it parses -cluster-host.
    this.clustered = List.of(args).stream().anyMatch(CLUSTER_FLAGS::contains);
  }

  @Override
  public JsonObject afterConfigParsed(JsonObject config) {
    if (config != null && config.getValue("transport") instanceof String) {
      transport = TransportChoice.of(config.getString("transport"));
    }
    return config;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    VertxBuilder builder = Vertx.builder().with(options).withTransport(transport.resolve());
    if (clustered) {
      System.setProperty("vertx.disableDnsResolver", "true"); // as ClusterSettings.clusterManager says
      clusterManager = new HazelcastClusterManager();
      builder.withClusterManager(clusterManager);
    }
    return builder;
  }

  /**
   * A server taken over by {@code uds server --replace} exits as {@code uds server} does: Vert.x
   * closes (undeploying, so the server drains) and the JVM ends with status 0. Without this only
   * the verticle undeploys itself, and the process lived on with nothing deployed.
   */
  @Override
  public void beforeDeployingVerticle(HookContext context) {
    Vertx vertx = context.vertx();
    vertx.eventBus().<String>localConsumer(ServerVerticle.TAKEN_OVER_ADDRESS, m -> {
      m.reply(null);
      log.info("taken over by a new server at {}; stopping", m.body());
      vertx.close();
    });
  }

  @Override
  public void beforeStartingVertx(HookContext context) {
    if (!clustered) {
      return;
    }
    Logging.quietHazelcast();
    EventBusOptions eventBus = context.vertxOptions().getEventBusOptions();
    ClusterSettings settings;
    try {
      settings = ClusterSettings.fromEnvironment(System.getenv());
      if (eventBus.getHost() != null) {
        settings.setHost(eventBus.getHost());
      }
      if (eventBus.getPort() != EventBusOptions.DEFAULT_CLUSTER_PORT) {
        settings.setEventBusPort(eventBus.getPort());
      }
    } catch (IllegalArgumentException e) {
      // The launcher would end with status 1 and say nothing.
      System.err.println("uds: -cluster: " + e.getMessage());
      throw e;
    }
    settings.applyTo(eventBus);
    clusterManager.setConfig(HazelcastConfig.of(settings));
  }
}
