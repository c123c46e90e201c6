package dev.nearcache.spring;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import org.springframework.util.ClassUtils;

/**
 * What the Jackson 3 and Jackson 2 serializers share, so that a value one wrote reads back through the other (a
 * service moving from Boot 3 to Boot 4 keeps what Redis holds): the envelope {@code {"@type":...,"value":...}}, the
 * cached null, which classes may be created from what Redis holds, and the check that a value reads back as itself.
 * Immutable and thread-safe.
 */
final class JsonEnvelope {
    static final String TYPE = "@type";
    static final String VALUE = "value";
    static final String CLASS_PROPERTY = "@class";
    private static final List<String> ALWAYS_TRUSTED = List.of("java.lang.", "java.util.", "java.time.", "java.math.");
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    private static final ClassValue<Boolean> OWN_EQUALS = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                Method equals = type.getMethod("equals", Object.class);
                return equals.getDeclaringClass() != Object.class;
            } catch (NoSuchMethodException e) {
                return false;
            }
        }
    };

    private final List<String> trustedPackages;
    private final ClassLoader classLoader;
    private final String serializer;

    /** @param serializer the serializer's simple name, in the messages */
    JsonEnvelope(Collection<String> trustedPackages, ClassLoader classLoader, String serializer) {
        List<String> packages = new ArrayList<>(ALWAYS_TRUSTED);
        for (String p : trustedPackages) {
            packages.add(p.endsWith(".") ? p : p + ".");
        }
        this.trustedPackages = List.copyOf(packages);
        this.classLoader = classLoader;
        this.serializer = serializer;
    }

    /** The bytes of a cached null (Spring's {@code NullValue}). */
    static byte[] nullBytes() {
        return NULL.clone();
    }

    /** The class named by an envelope's {@code @type}, if trusted and on the class path. */
    Class<?> typeOf(String className) {
        if (!trusted(className)) {
            throw new IllegalArgumentException("refusing to create a " + className + " read from Redis: its"
                    + " package is not trusted (add it to nearcache.trusted-packages)");
        }
        try {
            return ClassUtils.forName(className, classLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("the class " + className + " read from Redis is not on the class"
                    + " path", e);
        }
    }

    IllegalArgumentException notOurs() {
        return new IllegalArgumentException("not a value written by " + serializer + " (no \"@type\" and"
                + " \"value\")");
    }

    static IllegalArgumentException doesNotWrite(Object value, String why, Exception e) {
        return new IllegalArgumentException("cannot cache a " + value.getClass().getName() + ": it does not write"
                + " as JSON (" + why + ")", e);
    }

    /**
     * {@code bytes}, the JSON written for {@code value}, if {@code reader} reads them back as {@code value}: equal to
     * it where its class has its own {@code equals}, else of its class. Refuses the value otherwise, naming its type.
     */
    static byte[] readsBackAsItself(Object value, byte[] bytes, Function<byte[], Object> reader) {
        Object back;
        try {
            back = reader.apply(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot cache a " + value.getClass().getName() + ": it would not read"
                    + " back from JSON (" + e.getMessage() + ")", e);
        }
        boolean same = OWN_EQUALS.get(value.getClass()) ? value.equals(back) : back.getClass() == value.getClass();
        if (!same) {
            throw new IllegalArgumentException("cannot cache a " + value.getClass().getName() + ": it does not read"
                    + " back from JSON as itself (a field that JSON leaves out, such as a @JsonIgnore one, or a value"
                    + " the mapper writes in a way it cannot read); cache a type that round-trips, or use"
                    + " RedisSerializerAdapter");
        }
        return bytes;
    }

    /** Whether {@code className} (an array's element class for an array) is in a trusted package. */
    boolean trusted(String className) {
        String name = className;
        while (name.startsWith("[")) {
            name = name.substring(1);
        }
        if (name.length() == 1) {
            return true; // an array of primitives
        }
        if (name.startsWith("L") && name.endsWith(";")) {
            name = name.substring(1, name.length() - 1);
        }
        if (!name.contains(".")) {
            return true; // a primitive
        }
        for (String p : trustedPackages) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
