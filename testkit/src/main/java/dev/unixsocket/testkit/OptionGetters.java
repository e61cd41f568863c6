package dev.unixsocket.testkit;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * The public no-argument getters of an options class, one per option: round-trip tests compare
 * every field through them, so that a field added to the class but missing from its JSON
 * constructor, {@code toJson()} or copy constructor fails the test without the test naming it.
 */
public final class OptionGetters {

  private OptionGetters() {
  }

  /** The getters ({@code getX}/{@code isX}) the class itself declares. */
  public static List<Method> of(Class<?> type) {
    return Arrays.stream(type.getMethods())
        .filter(m -> m.getDeclaringClass() == type && !Modifier.isStatic(m.getModifiers()))
        .filter(m -> m.getParameterCount() == 0 && (m.getName().startsWith("get") || m.getName().startsWith("is")))
        .collect(Collectors.toList());
  }

  /** Names of the getters whose values differ between {@code a} and {@code b}: empty when every field agrees. */
  public static List<String> differing(Class<?> type, Object a, Object b) {
    return select(type, a, b, (x, y) -> !Objects.equals(x, y));
  }

  /** Names of the getters whose values are equal in {@code a} and {@code b}: empty when every field was changed. */
  public static List<String> unchanged(Class<?> type, Object a, Object b) {
    return select(type, a, b, Objects::equals);
  }

  private static List<String> select(Class<?> type, Object a, Object b, BiPredicate<Object, Object> keep) {
    return of(type).stream().filter(g -> keep.test(value(g, a), value(g, b))).map(Method::getName).collect(Collectors.toList());
  }

  private static Object value(Method getter, Object options) {
    try {
      return getter.invoke(options);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot call " + getter.getName(), e);
    }
  }
}
