package dev.nearcache.spring;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Collection;
import java.util.Objects;
import org.springframework.cache.support.NullValue;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DefaultTyping;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import tools.jackson.databind.jsontype.PolymorphicTypeValidator;
import tools.jackson.databind.jsontype.impl.DefaultTypeResolverBuilder;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON that reads back as what was cached: each value is stored as {@code {"@type":"java.util.ArrayList","value":
 * [...]}}, the value's own class beside it, and inside it every value whose declared type does not say what it is
 * (a non-final class, an interface, {@code Object}, a record or an enum, in collections, maps, arrays and
 * {@code Optional} too) carries its class as {@code "@class"}. So {@code List<Product>}, {@code Map<String,
 * List<Product>>}, records, enums, arrays, {@code Optional} and polymorphic fields read back as themselves.
 *
 * <p>Only classes of trusted packages are created from what Redis holds (the application's own, those given, and
 * {@code java.lang}, {@code java.util}, {@code java.time}, {@code java.math}): whoever can write to Redis cannot make
 * the application instantiate other classes.
 *
 * <p>A value that would not read back as itself is refused when it is written, with an
 * {@link IllegalArgumentException} naming its type: it is read back once at {@link #serialize} and compared
 * ({@code equals}, where its class has its own; else its class), so e.g. a record with an {@code @JsonIgnore}
 * component is refused rather than read back without it.
 *
 * <p>The mapper is the serializer's own, a copy of the one given with typing added: give it the modules and settings
 * cached values need, not the web layer's views. Thread-safe.
 */
public final class JsonCacheValueSerializer implements CacheValueSerializer {
    private final JsonMapper mapper;
    private final ObjectReader valueReader;
    private final JsonEnvelope envelope;

    /**
     * @param mapper          the modules and settings to write and read with (a copy is made, with typing added)
     * @param trustedPackages packages whose classes may be created, e.g. {@code com.example}
     * @param classLoader     where those classes are loaded from
     */
    public JsonCacheValueSerializer(JsonMapper mapper, Collection<String> trustedPackages, ClassLoader classLoader) {
        Objects.requireNonNull(mapper, "mapper must not be null");
        this.envelope = new JsonEnvelope(trustedPackages, classLoader, "JsonCacheValueSerializer");
        PolymorphicTypeValidator validator = BasicPolymorphicTypeValidator.builder()
                .allowIfSubType((context, type) -> envelope.trusted(type.getName()))
                .allowIfSubTypeIsArray()
                .build();
        this.mapper = mapper.rebuild()
                .polymorphicTypeValidator(validator)
                .setDefaultTyping(new CachedValueTyping(validator))
                .build();
        this.valueReader = this.mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    @Override
    public byte[] serialize(Object value) {
        if (value == null || value instanceof NullValue) {
            return JsonEnvelope.nullBytes();
        }
        byte[] bytes;
        try {
            ObjectNode node = mapper.createObjectNode();
            node.put(JsonEnvelope.TYPE, value.getClass().getName());
            node.set(JsonEnvelope.VALUE, mapper.valueToTree(value));
            bytes = mapper.writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw JsonEnvelope.doesNotWrite(value, e.getOriginalMessage(), e);
        }
        return JsonEnvelope.readsBackAsItself(value, bytes, this::deserialize);
    }

    /**
     * Read as a stream, not through a tree: a tree holds floating-point numbers as doubles, so a
     * {@code BigDecimal} of {@code 12.50} would come back as {@code 12.5}.
     */
    @Override
    public Object deserialize(byte[] bytes) {
        try (JsonParser parser = mapper.createParser(bytes)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                return NullValue.INSTANCE;
            }
            if (first != JsonToken.START_OBJECT || parser.nextToken() != JsonToken.PROPERTY_NAME
                    || !JsonEnvelope.TYPE.equals(parser.currentName())
                    || parser.nextToken() != JsonToken.VALUE_STRING) {
                throw envelope.notOurs();
            }
            Class<?> target = envelope.typeOf(parser.getString());
            if (parser.nextToken() != JsonToken.PROPERTY_NAME || !JsonEnvelope.VALUE.equals(parser.currentName())) {
                throw envelope.notOurs();
            }
            parser.nextToken();
            return valueReader.forType(target).readValue(parser); // the envelope's "}" follows the value
        }
    }

    /**
     * Type ids where Jackson's {@code NON_FINAL} puts them, and on records and enums too (final, but a field or an
     * element declared as an interface or {@code Object} needs their class).
     */
    private static final class CachedValueTyping extends DefaultTypeResolverBuilder {
        private static final long serialVersionUID = 1L;

        CachedValueTyping(PolymorphicTypeValidator validator) {
            super(validator, DefaultTyping.NON_FINAL, JsonTypeInfo.As.PROPERTY, JsonTypeInfo.Id.CLASS,
                    JsonEnvelope.CLASS_PROPERTY);
        }

        @Override
        public boolean useForType(JavaType type) {
            JavaType t = _unwrapReferenceType(_unwrapArrayType(type));
            return t.isRecordType() || t.isEnumType() || super.useForType(type);
        }
    }
}
