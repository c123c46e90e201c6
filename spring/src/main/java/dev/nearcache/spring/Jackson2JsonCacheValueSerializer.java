package dev.nearcache.spring;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.databind.jsontype.PolymorphicTypeValidator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Objects;
import org.springframework.cache.support.NullValue;

/**
 * {@link JsonCacheValueSerializer}'s twin on Jackson 2, for Spring Boot 3.5 applications (whose Jackson is 2.x): the
 * same JSON, the same trusted packages and the same refusal at write of a value that would not read back as itself,
 * so a value one wrote reads back through the other. See {@link JsonCacheValueSerializer} for the format and the
 * rules. Dates, times and durations are written as ISO-8601 text, as Jackson 3 writes them (Jackson 2's default is
 * numbers); {@code Optional} and {@code java.time} need Jackson 2's {@code jdk8} and {@code jsr310} modules in the
 * mapper given (the Boot 3 starter brings them and finds them).
 *
 * <p>Values are written and read as a stream, never through a tree: Jackson 2's tree drops a {@code BigDecimal}'s
 * trailing zeros ({@code 12.50} would read back as {@code 12.5}). The mapper is the serializer's own, a copy of the one
 * given with typing added. Thread-safe.
 */
public final class Jackson2JsonCacheValueSerializer implements CacheValueSerializer {
    private final ObjectMapper mapper;
    private final ObjectReader valueReader;
    private final JsonEnvelope envelope;

    /**
     * @param mapper          the modules and settings to write and read with (a copy is made, with typing added)
     * @param trustedPackages packages whose classes may be created, e.g. {@code com.example}
     * @param classLoader     where those classes are loaded from
     */
    public Jackson2JsonCacheValueSerializer(JsonMapper mapper, Collection<String> trustedPackages,
                                            ClassLoader classLoader) {
        Objects.requireNonNull(mapper, "mapper must not be null");
        this.envelope = new JsonEnvelope(trustedPackages, classLoader, "Jackson2JsonCacheValueSerializer");
        PolymorphicTypeValidator validator = BasicPolymorphicTypeValidator.builder()
                .allowIfSubType(new BasicPolymorphicTypeValidator.TypeMatcher() {
                    @Override
                    public boolean match(MapperConfig<?> config, Class<?> type) {
                        return envelope.trusted(type.getName());
                    }
                })
                .allowIfSubTypeIsArray()
                .build();
        this.mapper = mapper.rebuild()
                // as Jackson 3 writes them: ISO-8601 text, not numbers
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS,
                        SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .polymorphicTypeValidator(validator)
                .setDefaultTyping(new CachedValueTyping(validator)
                        .init(JsonTypeInfo.Id.CLASS, null)
                        .inclusion(JsonTypeInfo.As.PROPERTY)
                        .typeProperty(JsonEnvelope.CLASS_PROPERTY))
                .build();
        this.valueReader = this.mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    @Override
    public byte[] serialize(Object value) {
        if (value == null || value instanceof NullValue) {
            return JsonEnvelope.nullBytes();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator generator = mapper.createGenerator(out)) {
            generator.writeStartObject();
            generator.writeStringField(JsonEnvelope.TYPE, value.getClass().getName());
            generator.writeFieldName(JsonEnvelope.VALUE);
            mapper.writeValue(generator, value);
            generator.writeEndObject();
        } catch (JsonProcessingException e) {
            throw JsonEnvelope.doesNotWrite(value, e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw JsonEnvelope.doesNotWrite(value, e.getMessage(), e);
        }
        return JsonEnvelope.readsBackAsItself(value, out.toByteArray(), this::deserialize);
    }

    @Override
    public Object deserialize(byte[] bytes) {
        try (JsonParser parser = mapper.createParser(bytes)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                return NullValue.INSTANCE;
            }
            if (first != JsonToken.START_OBJECT || parser.nextToken() != JsonToken.FIELD_NAME
                    || !JsonEnvelope.TYPE.equals(parser.currentName())
                    || parser.nextToken() != JsonToken.VALUE_STRING) {
                throw envelope.notOurs();
            }
            Class<?> target = envelope.typeOf(parser.getText());
            if (parser.nextToken() != JsonToken.FIELD_NAME || !JsonEnvelope.VALUE.equals(parser.currentName())) {
                throw envelope.notOurs();
            }
            parser.nextToken();
            return valueReader.forType(target).readValue(parser); // the envelope's "}" follows the value
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read the cached JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Type ids where Jackson's {@code NON_FINAL} puts them, and on records and enums too (final, but a field or an
     * element declared as an interface or {@code Object} needs their class).
     */
    private static final class CachedValueTyping extends ObjectMapper.DefaultTypeResolverBuilder {
        private static final long serialVersionUID = 1L;

        CachedValueTyping(PolymorphicTypeValidator validator) {
            super(ObjectMapper.DefaultTyping.NON_FINAL, validator);
        }

        @Override
        public boolean useForType(JavaType type) {
            JavaType t = type;
            while (t.isArrayType()) {
                t = t.getContentType();
            }
            while (t.isReferenceType()) {
                t = t.getReferencedType();
            }
            return t.isRecordType() || t.isEnumType() || super.useForType(type);
        }
    }
}
