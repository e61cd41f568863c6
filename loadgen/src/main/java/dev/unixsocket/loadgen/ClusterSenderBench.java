package dev.unixsocket.loadgen;

import dev.unixsocket.client.ClientOptions;
import dev.unixsocket.wire.Framing;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The sender of the cluster figure, run by the standard launcher on a clustered event bus:
 * {@code java -cp uds.jar dev.unixsocket.launcher.Main dev.unixsocket.loadgen.ClusterSenderBench
 * -cluster -conf '{...}'} (members from {@code UDS_CLUSTER_MEMBERS}). It measures, as
 * {@code uds bench --event-bus} does, through a client verticle deployed on another node, then
 * prints one JSON line on stdout and exits (status 0, or 1 if any message failed).
 *
 * <p>Config: {@code prefix} (the client's address prefix, default {@code uds.client}), {@code how}
 * (request|send|batch), {@code inFlight}, {@code size}, {@code batch}, {@code warmup},
 * {@code duration} (seconds), {@code expectPrefix} (the server's echo prefix, default
 * {@code echo:}) and {@code path} (only reported).
 */
public class ClusterSenderBench extends VerticleBase {

  @Override
  public Future<?> start() {
    JsonObject c = config();
    String prefix = c.getString("prefix", "uds.client");
    ClientOptions client = new ClientOptions().setSendAddress(prefix + ".send").setInboundAddress(prefix + ".inbound")
        .setStatusAddress(prefix + ".status");
    EventBusLoad.Settings s = new EventBusLoad.Settings(c.getString("path", "(remote)"),
        EventBusLoad.How.valueOf(c.getString("how", "request")), c.getInteger("inFlight", 64), c.getInteger("size", 64),
        c.getDouble("warmup", 2.0), c.getDouble("duration", 5.0), null, true, Framing.LENGTH,
        c.getString("expectPrefix", "echo:"), c.getInteger("batch", 64));
    // Measuring blocks (it sleeps between progress lines): on a thread of its own, not the event loop.
    Thread run = new Thread(() -> System.exit(measure(s, client)), "cluster-bench");
    run.start();
    return Future.succeededFuture();
  }

  private int measure(EventBusLoad.Settings s, ClientOptions client) {
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    try {
      awaitClient(client);
      JsonObject r = EventBusLoad.measure(s, vertx, client, "cluster", -1, err);
      System.out.println(r.encode());
      System.out.flush();
      return r.getLong("errors", 0L) == 0 ? 0 : 1;
    } catch (Exception e) {
      err.println("cluster bench: " + e.getMessage());
      return 1;
    }
  }

  /** Waits (up to 2 min) until the remote client answers: the cluster spreads its registration asynchronously. */
  private void awaitClient(ClientOptions client) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      try {
        vertx.eventBus().request(client.getSendAddress(), "warm", new DeliveryOptions().setSendTimeout(5_000))
            .await(10, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no client answers on " + client.getSendAddress() + ": " + e.getMessage());
        }
        TimeUnit.MILLISECONDS.sleep(200);
      }
    }
  }
}
