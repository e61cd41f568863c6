package dev.unixsocket.examples;

import dev.unixsocket.client.ClientFailure;
import dev.unixsocket.client.ClientOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * A client-side sender: every {@code intervalMs} it sends {@code "TEXT N"} to the client
 * verticle's send address with {@code request}, and logs the server's reply or the failure
 * (a {@link ReplyException} whose code is one of {@link ClientFailure}'s).
 *
 * <p>Config (all optional): {@code address} (default {@code uds.client.send}), {@code count}
 * (messages to send, default 10; -1 = until undeployed), {@code intervalMs} (default 1000),
 * {@code text} (default {@code tick}), {@code timeoutMs} (the request's event-bus timeout,
 * default 60000: long enough to wait in the client's queue through a server restart) and
 * {@code doneAddress} (default {@code examples.ticks.done}): once {@code count} messages have a
 * reply or a failure, a JSON summary {@code {sent, replied, failed, lastReply}} is published there.
 */
public class TickSender extends VerticleBase {

  public static final String DEFAULT_DONE_ADDRESS = "examples.ticks.done";

  private static final Logger log = LoggerFactory.getLogger(TickSender.class);

  private String address;
  private int count;
  private String text;
  private String doneAddress;
  private DeliveryOptions delivery;
  private long timerId = -1;
  private volatile int sent;
  private volatile int replied;
  private volatile int failed;
  private volatile String lastReply;

  @Override
  public Future<?> start() {
    JsonObject config = config();
    address = config.getString("address", ClientOptions.DEFAULT_SEND_ADDRESS);
    count = config.getInteger("count", 10);
    text = config.getString("text", "tick");
    doneAddress = config.getString("doneAddress", DEFAULT_DONE_ADDRESS);
    long intervalMs = config.getLong("intervalMs", 1000L);
    if (intervalMs < 1 || count < -1) {
      return Future.failedFuture(new IllegalArgumentException("intervalMs must be at least 1 and count at least -1"));
    }
    delivery = new DeliveryOptions().setSendTimeout(config.getLong("timeoutMs", 60_000L));
    timerId = vertx.setPeriodic(intervalMs, id -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    if (count >= 0 && sent >= count) {
      vertx.cancelTimer(timerId);
      return;
    }
    String message = text + " " + (++sent);
    vertx.eventBus().<Buffer>request(address, message, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        replied++;
        lastReply = ar.result().body().toString(StandardCharsets.UTF_8);
        log.info("{} -> {}", message, lastReply);
      } else {
        failed++;
        log.warn("{} failed: {}", message, describe(ar.cause()));
      }
      if (count >= 0 && replied + failed == count) {
        JsonObject summary = summary();
        log.info("done: {}", summary.encode());
        vertx.eventBus().publish(doneAddress, summary);
      }
    });
  }

  private static String describe(Throwable t) {
    if (t instanceof ReplyException && ((ReplyException) t).failureCode() > 0) {
      ReplyException re = (ReplyException) t;
      return ClientFailure.name(re.failureCode()) + ": " + re.getMessage();
    }
    return String.valueOf(t.getMessage());
  }

  /** Counts so far; readable from any thread. */
  public JsonObject summary() {
    return new JsonObject().put("sent", sent).put("replied", replied).put("failed", failed).put("lastReply", lastReply);
  }
}
