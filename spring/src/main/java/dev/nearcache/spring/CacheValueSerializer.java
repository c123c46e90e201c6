package dev.nearcache.spring;

/**
 * Turns the values of the Spring caches into the bytes stored in Redis and back. The starter uses
 * {@link JsonCacheValueSerializer} unless the application defines a bean of this type; {@link RedisSerializerAdapter}
 * plugs in a Spring Data {@code RedisSerializer}, so an application that moves from {@code RedisCacheManager} keeps
 * reading what is already in Redis.
 *
 * <p>Implementations must be thread-safe. {@code value} may be Spring's {@code NullValue.INSTANCE} (a cached null,
 * when null values are allowed): it must come back as {@code NullValue.INSTANCE}. A failure to deserialize fails that
 * read and caches nothing.
 */
public interface CacheValueSerializer {
    /** The bytes to store for {@code value} (never null). */
    byte[] serialize(Object value);

    /** The value stored as {@code bytes}. */
    Object deserialize(byte[] bytes);
}
