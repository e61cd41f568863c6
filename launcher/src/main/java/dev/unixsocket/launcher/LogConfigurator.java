package dev.unixsocket.launcher;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The jar's logging configuration, in code rather than a {@code logback.xml}: parsing XML
 * (Joran) took ~70 ms of CPU of a server's start. Found by logback through
 * {@code META-INF/services}. It is what the XML said:
 *
 * <pre>{@code
 * <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
 *   <target>System.err</target>
 *   <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
 * </appender>
 * <logger name="io.netty" level="WARN"/>
 * <logger name="io.vertx" level="WARN"/>
 * <root level="${UDS_LOG_LEVEL:-INFO}"><appender-ref ref="STDERR"/></root>
 * }</pre>
 *
 * Diagnostics go to stderr; stdout carries data only (replies, the "listening on" line, bench
 * figures). An XML configuration still wins where logback would have looked for one first:
 * {@code -Dlogback.configurationFile=...}, or a {@code logback-test.xml} or {@code logback.xml}
 * on the class path (the jar has none).
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY) != null
        || resource(ClassicConstants.TEST_AUTOCONFIG_FILE) || resource(ClassicConstants.AUTOCONFIG_FILE)) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    context.getLogger("io.netty").setLevel(Level.WARN);
    context.getLogger("io.vertx").setLevel(Level.WARN);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    Level level = rootLevel();
    if (level != null) {
      root.setLevel(level);
    }
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * {@code ${UDS_LOG_LEVEL:-INFO}} as Joran read it: the system property, else the environment
   * variable, else INFO; blank leaves the root at logback's default (DEBUG), an unknown name is DEBUG.
   */
  static Level rootLevel() {
    String value = System.getProperty("UDS_LOG_LEVEL");
    if (value == null) {
      value = System.getenv("UDS_LOG_LEVEL");
    }
    if (value == null) {
      return Level.INFO;
    }
    return value.isBlank() ? null : Level.toLevel(value.trim(), Level.DEBUG);
  }

  private static boolean resource(String name) {
    ClassLoader loader = LogConfigurator.class.getClassLoader();
    return loader != null && loader.getResource(name) != null;
  }
}
