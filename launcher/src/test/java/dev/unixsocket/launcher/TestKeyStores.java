package dev.unixsocket.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** PKCS12 key stores made with the JDK's keytool: a self-signed key pair each. */
final class TestKeyStores {

  private TestKeyStores() {
  }

  static Path create(Path dir, String name, String password) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", password, "-keypass", password))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    return store;
  }
}
