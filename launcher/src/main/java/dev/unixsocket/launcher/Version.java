package dev.unixsocket.launcher;

import picocli.CommandLine.IVersionProvider;

/** The version of the jar, from its manifest when packaged. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Version.class.getPackage().getImplementationVersion();
    return new String[] {"uds " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
  }
}
