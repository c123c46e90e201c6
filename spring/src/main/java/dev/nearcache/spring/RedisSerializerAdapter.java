package dev.nearcache.spring;

import java.util.Objects;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * A Spring Data {@link RedisSerializer} as the caches' {@link CacheValueSerializer}: with
 * {@code RedisSerializer.java()} (what {@code RedisCacheManager} uses by default) or the JSON serializer configured
 * there, the near cache reads and writes what an application stored through {@code RedisCacheManager}, under the
 * same keys ({@code <cache>::<key>}). Needs {@code spring-data-redis} on the class path. Thread-safe if the serializer
 * is.
 */
public final class RedisSerializerAdapter implements CacheValueSerializer {
    private final RedisSerializer<Object> serializer;

    @SuppressWarnings("unchecked")
    public RedisSerializerAdapter(RedisSerializer<?> serializer) {
        this.serializer = (RedisSerializer<Object>) Objects.requireNonNull(serializer, "serializer must not be null");
    }

    @Override
    public byte[] serialize(Object value) {
        byte[] bytes = serializer.serialize(value);
        if (bytes == null) {
            throw new IllegalArgumentException("the RedisSerializer wrote nothing for a " + value.getClass().getName());
        }
        return bytes;
    }

    @Override
    public Object deserialize(byte[] bytes) {
        return serializer.deserialize(bytes);
    }
}
