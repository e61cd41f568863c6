package dev.unixsocket.wire;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * Typed reading of an options object from JSON, for the options classes' JSON constructors.
 * Each {@code read} call passes a field's value to a setter when the field is present; a value
 * of the wrong type, or one the setter refuses, fails with an {@link IllegalArgumentException}
 * that names the field and what it must be.
 *
 * <p>Unknown fields are ignored, as Vert.x's own options do, because one config object often
 * carries an application's fields beside ours (the examples' {@code ClientApp} reads
 * {@code count} from the config it also gives to {@code ClientOptions}). A field that differs
 * from one of ours only in case, {@code -} or {@code _} ({@code max-frame}, {@code maxframe}) is
 * surely a typo, so {@link #warnNearMisses()} logs a WARN naming it and the field it resembles.
 */
public final class JsonFields {

  private static final Logger log = LoggerFactory.getLogger(JsonFields.class);

  private final JsonObject json;
  private final String owner;
  private final Set<String> known = new LinkedHashSet<>();

  /**
   * @param json the object to read; null reads as empty
   * @param owner how error messages name the options, such as {@code "server option"}
   */
  public JsonFields(JsonObject json, String owner) {
    this.json = json == null ? new JsonObject() : json;
    this.owner = owner;
  }

  /** A string field; null is refused. */
  public void readString(String key, Consumer<String> setter) {
    if (present(key)) {
      set(key, () -> setter.accept(string(key)));
    }
  }

  /** A string field that may be null (to unset it). */
  public void readNullableString(String key, Consumer<String> setter) {
    if (present(key)) {
      set(key, () -> {
        Object v = json.getValue(key);
        if (v != null && !(v instanceof String)) {
          throw wrongType(key, "a string or null", v);
        }
        setter.accept((String) v);
      });
    }
  }

  /** A whole number in int range. */
  public void readInt(String key, IntConsumer setter) {
    if (present(key)) {
      set(key, () -> setter.accept((int) wholeNumber(key, Integer.MIN_VALUE, Integer.MAX_VALUE, "int")));
    }
  }

  /** A whole number in long range. */
  public void readLong(String key, LongConsumer setter) {
    if (present(key)) {
      set(key, () -> setter.accept(wholeNumber(key, Long.MIN_VALUE, Long.MAX_VALUE, "long")));
    }
  }

  /** Any number. */
  public void readDouble(String key, DoubleConsumer setter) {
    if (present(key)) {
      set(key, () -> setter.accept(number(key).doubleValue()));
    }
  }

  /** An array of whole numbers in int range. */
  public void readIntList(String key, Consumer<List<Integer>> setter) {
    if (present(key)) {
      set(key, () -> {
        Object v = json.getValue(key);
        if (!(v instanceof JsonArray)) {
          throw wrongType(key, "an array of whole numbers", v);
        }
        List<Integer> values = new ArrayList<>();
        for (Object o : (JsonArray) v) {
          if (!(o instanceof Number) || !isWhole((Number) o, Integer.MIN_VALUE, Integer.MAX_VALUE)) {
            throw wrongType(key, "an array of whole numbers", v);
          }
          values.add(((Number) o).intValue());
        }
        setter.accept(values);
      });
    }
  }

  /** A field of any JSON type, for the rare field with two accepted forms; the setter checks it. */
  public void readValue(String key, Consumer<Object> setter) {
    if (present(key)) {
      set(key, () -> setter.accept(json.getValue(key)));
    }
  }

  /**
   * Logs a WARN for each field not read that looks like a misspelt one of ours; call it after
   * every field was read.
   */
  public void warnNearMisses() {
    for (String key : json.fieldNames()) {
      if (known.contains(key)) {
        continue;
      }
      for (String ours : known) {
        if (loose(key).equals(loose(ours))) {
          log.warn("{} '{}' is not an option and is ignored; did you mean '{}'?", owner, key, ours);
        }
      }
    }
  }

  private boolean present(String key) {
    known.add(key);
    return json.containsKey(key);
  }

  /** Runs a setter, so that its refusal names the field too. */
  private void set(String key, Runnable setting) {
    try {
      setting.run();
    } catch (IllegalArgumentException e) {
      String m = String.valueOf(e.getMessage());
      if (m.startsWith(owner + " ")) {
        throw e;
      }
      throw new IllegalArgumentException(owner + " " + (m.startsWith(key + " ") ? m : key + ": " + m), e);
    }
  }

  private String string(String key) {
    Object v = json.getValue(key);
    if (!(v instanceof String)) {
      throw wrongType(key, "a string", v);
    }
    return (String) v;
  }

  private Number number(String key) {
    Object v = json.getValue(key);
    if (!(v instanceof Number)) {
      throw wrongType(key, "a number", v);
    }
    return (Number) v;
  }

  private long wholeNumber(String key, long min, long max, String range) {
    Object v = json.getValue(key);
    if (!(v instanceof Number) || !isWhole((Number) v, min, max)) {
      throw wrongType(key, "a whole number in " + range + " range", v);
    }
    return ((Number) v).longValue();
  }

  private static boolean isWhole(Number n, long min, long max) {
    double d = n.doubleValue();
    long l = n.longValue();
    // Integer and Long come as they are; a double must hold an exact whole value.
    boolean whole = (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte)
        || (!Double.isNaN(d) && !Double.isInfinite(d) && d == Math.rint(d) && d == (double) l);
    return whole && l >= min && l <= max;
  }

  private IllegalArgumentException wrongType(String key, String expected, Object value) {
    return new IllegalArgumentException(owner + " " + key + " must be " + expected + ", was " + describe(value));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "the string \"" + value + "\"";
    }
    if (value instanceof Number) {
      return "the number " + value;
    }
    if (value instanceof Boolean) {
      return "the boolean " + value;
    }
    if (value instanceof JsonArray) {
      return "the array " + ((JsonArray) value).encode();
    }
    if (value instanceof JsonObject) {
      return "the object " + ((JsonObject) value).encode();
    }
    return value + " (" + value.getClass().getSimpleName() + ")";
  }

  private static String loose(String key) {
    return key.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
  }
}
