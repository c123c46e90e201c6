package dev.nearcache.spring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.springframework.cache.support.NullValue;
import org.springframework.util.ClassUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON through the application's Jackson 3 {@link JsonMapper}: each value is stored as
 * {@code {"@type":"com.example.Product","value":{...}}} so that it reads back as its class, and a cached null as
 * {@code null}. Only classes of trusted packages are created from what Redis holds (the application's own, those
 * given, and {@code java.lang}, {@code java.util}, {@code java.time}, {@code java.math}): whoever can write to Redis
 * cannot make the application instantiate other classes.
 *
 * <p>The value's own class is recorded, not its type arguments: a {@code List<Product>} reads back as a list of maps.
 * Cache a record or class that holds the list, or plug in a serializer that records types throughout. Thread-safe.
 */
public final class JsonCacheValueSerializer implements CacheValueSerializer {
    private static final List<String> ALWAYS_TRUSTED = List.of("java.lang.", "java.util.", "java.time.", "java.math.");

    private final JsonMapper mapper;
    private final List<String> trustedPackages;
    private final ClassLoader classLoader;

    /**
     * @param mapper          the application's mapper (its modules and settings apply)
     * @param trustedPackages packages whose classes may be created, e.g. {@code com.example}
     * @param classLoader     where those classes are loaded from
     */
    public JsonCacheValueSerializer(JsonMapper mapper, Collection<String> trustedPackages, ClassLoader classLoader) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
        List<String> packages = new ArrayList<>(ALWAYS_TRUSTED);
        for (String p : trustedPackages) {
            packages.add(p.endsWith(".") ? p : p + ".");
        }
        this.trustedPackages = List.copyOf(packages);
        this.classLoader = classLoader;
    }

    @Override
    public byte[] serialize(Object value) {
        if (value == null || value instanceof NullValue) {
            return "null".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        ObjectNode envelope = mapper.createObjectNode();
        envelope.put("@type", value.getClass().getName());
        envelope.set("value", mapper.valueToTree(value));
        return mapper.writeValueAsBytes(envelope);
    }

    @Override
    public Object deserialize(byte[] bytes) {
        JsonNode tree = mapper.readTree(bytes);
        if (tree == null || tree.isNull()) {
            return NullValue.INSTANCE;
        }
        JsonNode type = tree.get("@type");
        if (type == null || !type.isString() || !tree.has("value")) {
            throw new IllegalArgumentException("not a value written by JsonCacheValueSerializer (no \"@type\" and"
                    + " \"value\")");
        }
        String className = type.asString();
        if (trustedPackages.stream().noneMatch(className::startsWith)) {
            throw new IllegalArgumentException("refusing to create a " + className + " read from Redis: its package"
                    + " is not trusted (add it to nearcache.trusted-packages)");
        }
        Class<?> target;
        try {
            target = ClassUtils.forName(className, classLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("the class " + className + " read from Redis is not on the class path",
                    e);
        }
        return mapper.treeToValue(tree.get("value"), target);
    }
}
