package dev.unixsocket.client;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;

/**
 * What the parts of one client (intake, watchdog, each connection) share, built once when the
 * verticle starts. Event loop only, except the counters.
 *
 * @param options the options in force
 * @param hello the hello message's payload, checked at start; {@code null} without one
 * @param context the verticle's context: everything runs on its event loop
 * @param queue frames waiting to be written; outlives connections
 * @param stats counters and the monitoring snapshots
 * @param failures tells senders their messages failed, and counts it
 * @param inbound publishes frames that answer no request
 */
record Shared(ClientOptions options, Buffer hello, Context context, OutboundQueue<Outbound> queue,
              ClientStats stats, Failures failures, Inbound inbound) {
}
