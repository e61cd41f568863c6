package dev.unixsocket.loadgen;

import dev.unixsocket.wire.Framing;
import picocli.CommandLine;

/**
 * {@code --framing length|line}, in any case, for every picocli command: an unknown name is bad
 * usage (exit 2) with {@link Framing#of}'s one-line reason.
 */
public final class FramingConverter implements CommandLine.ITypeConverter<Framing> {

  @Override
  public Framing convert(String value) {
    try {
      return Framing.of(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
