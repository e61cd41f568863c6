package dev.unixsocket.launcher;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.core.net.PfxOptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Locale;

/**
 * Mutual TLS for the clustered event bus: every node presents its certificate and accepts only
 * peers whose certificate the trust store vouches for.
 */
final class EventBusTls {

  private EventBusTls() {
  }

  static void apply(EventBusOptions eventBus, KeyStoreOptionsBase keyStore, KeyStoreOptionsBase trustStore) {
    eventBus.setSsl(true)
        // The event bus trusts every certificate unless told otherwise.
        .setTrustAll(false)
        .setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(keyStore)
        .setTrustOptions(trustStore);
  }

  /**
   * Opens a store (PKCS12 unless the file name ends in {@code .jks}) to check it, and returns its
   * options: Pfx or Jks, since the clustered event bus copies its options through JSON, which
   * keeps those two and drops a generic KeyStoreOptions.
   */
  static KeyStoreOptionsBase open(String path, String password, String what) {
    String type = path.toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      KeyStore store = KeyStore.getInstance(type);
      store.load(in, password.toCharArray());
      if (store.size() == 0) {
        throw new IllegalArgumentException("cluster TLS " + what + " " + path + " holds no key or certificate");
      }
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("cannot open cluster TLS " + what + " " + path + ": no such file");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot open cluster TLS " + what + " " + path + ": " + Failures.describe(e));
    }
    return type.equals("JKS") ? new JksOptions().setPath(path).setPassword(password)
        : new PfxOptions().setPath(path).setPassword(password);
  }
}
