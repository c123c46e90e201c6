package dev.nearcache.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * UTF-8 string keys and JSON values through Jackson (an optional dependency: add {@code jackson-databind}).
 *
 * <pre>{@code
 * NearCache<String, Product> cache = NearCache.builder()
 *         .codec(new JsonCodec<>(new ObjectMapper(), Product.class))
 *         .redisUri("redis://localhost:6379").build();
 * }</pre>
 *
 * <p>A value that cannot be decoded fails the read with an exception naming the type, and is not cached; values
 * are decoded afresh for every reader of Redis, but a cached value is shared by every caller, so use immutable
 * types. Thread-safe.
 *
 * @param <V> value type
 */
public final class JsonCodec<V> implements RedisCodec<String, V> {
    private final ObjectReader reader;
    private final ObjectWriter writer;
    private final Class<V> type;

    public JsonCodec(ObjectMapper mapper, Class<V> type) {
        Objects.requireNonNull(mapper, "mapper must not be null");
        this.type = Objects.requireNonNull(type, "type must not be null");
        this.reader = mapper.readerFor(type);
        this.writer = mapper.writerFor(type);
    }

    @Override
    public String decodeKey(ByteBuffer bytes) {
        return StringCodec.UTF8.decodeKey(bytes);
    }

    @Override
    public V decodeValue(ByteBuffer bytes) {
        byte[] json = new byte[bytes.remaining()];
        bytes.get(json);
        try {
            return reader.readValue(json);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage()
                    : e.getMessage();
            throw new IllegalArgumentException("a Redis value is not JSON for " + type.getName() + ": " + why, e);
        }
    }

    @Override
    public ByteBuffer encodeKey(String key) {
        return StringCodec.UTF8.encodeKey(key);
    }

    @Override
    public ByteBuffer encodeValue(V value) {
        try {
            return ByteBuffer.wrap(writer.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + type.getName() + " as JSON", e);
        }
    }
}
