package dev.unixsocket.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class LogConfiguratorTest {

  @AfterEach
  void clearProperty() {
    System.clearProperty("UDS_LOG_LEVEL");
  }

  @Test
  void logbackFindsItAndLogsToStderrInTheUsualFormat() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Appender<ILoggingEvent> appender = root.getAppender("STDERR");
    assertThat(appender).isInstanceOf(ConsoleAppender.class);
    ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) appender;
    assertThat(console.getTarget()).isEqualTo("System.err");
    assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern()).isEqualTo("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
    assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("io.vertx").getLevel()).isEqualTo(Level.WARN);
  }

  @Test
  void rootLevelReadsUdsLogLevelAsTheXmlDid() {
    System.setProperty("UDS_LOG_LEVEL", " warn ");
    assertThat(LogConfigurator.rootLevel()).isEqualTo(Level.WARN);
    System.setProperty("UDS_LOG_LEVEL", "DEBUG");
    assertThat(LogConfigurator.rootLevel()).isEqualTo(Level.DEBUG);
    System.setProperty("UDS_LOG_LEVEL", "loud");
    assertThat(LogConfigurator.rootLevel()).isEqualTo(Level.DEBUG);
    System.setProperty("UDS_LOG_LEVEL", "");
    assertThat(LogConfigurator.rootLevel()).isNull(); // logback's default for the root: DEBUG
    if (System.getenv("UDS_LOG_LEVEL") == null) {
      System.clearProperty("UDS_LOG_LEVEL");
      assertThat(LogConfigurator.rootLevel()).isEqualTo(Level.INFO);
    }
  }
}
