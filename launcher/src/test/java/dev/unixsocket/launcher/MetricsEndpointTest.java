package dev.unixsocket.launcher;

import dev.unixsocket.testkit.ChildProcess;
import dev.unixsocket.testkit.SocketPaths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsEndpointTest {

  private static final Pattern URL = Pattern.compile("metrics on (http://\\S+)");
  private final Path path = SocketPaths.fresh();

  @AfterEach
  void tearDown() throws IOException {
    Files.deleteIfExists(path);
  }

  private static String scrape(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  private static String url(ChildProcess p) throws InterruptedException {
    Matcher m = URL.matcher(p.awaitErr(l -> URL.matcher(l).find()));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void serverAndClientServeTheirCountersOnLoopback() throws Exception {
    try (ChildProcess server = ChildProcess.start(Main.class, "server", "--path", path.toString(), "--metrics", "127.0.0.1:0");
         ChildProcess client = ChildProcess.start(Main.class, "client", "--path", path.toString(), "--metrics", "127.0.0.1:0")) {
      String serverUrl = url(server);
      assertThat(server.nextOut()).startsWith("listening on");
      String clientUrl = url(client);
      client.typeLine("one");
      client.typeLine("two");
      assertThat(client.nextOut()).isEqualTo("echo:one");
      assertThat(client.nextOut()).isEqualTo("echo:two");

      String s = scrape(serverUrl);
      assertThat(s).contains("uds_server_frames_in_total{path=\"" + path + "\"} 2.0")
          .contains("uds_server_frames_out_total{path=\"" + path + "\"} 2.0")
          .contains("uds_server_connections_open{path=\"" + path + "\"} 1.0")
          .contains("uds_server_connections_accepted_total")
          .contains("uds_server_connections_refused_total{path=\"" + path + "\",reason=\"uid\"} 0.0");
      String c = scrape(clientUrl);
      assertThat(c).contains("uds_client_frames_out_total{path=\"" + path + "\"} 2.0")
          .contains("uds_client_connects_total{path=\"" + path + "\"} 1.0")
          .contains("uds_client_failures_total{path=\"" + path + "\",reason=\"queue_full\"} 0.0")
          .contains("uds_client_queue_depth{path=\"" + path + "\"} 0.0");
    }
  }

  @Test
  void onlyLoopbackAddressesAreAccepted() {
    assertThatThrownBy(() -> MetricsEndpoint.parse("0.0.0.0:9464")).hasMessageContaining("loopback");
    assertThatThrownBy(() -> MetricsEndpoint.parse("9464")).hasMessageContaining("HOST:PORT");
    assertThat(MetricsEndpoint.parse("localhost:9464").url(9464)).isEqualTo("http://localhost:9464/metrics");
    assertThat(MetricsEndpoint.parse("[::1]:9464").url(9464)).isEqualTo("http://[::1]:9464/metrics");
  }
}
