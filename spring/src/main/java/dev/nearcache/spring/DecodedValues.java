package dev.nearcache.spring;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * The decoded value of each byte array the near cache holds, keyed by the array's identity, so that a local hit
 * returns the object decoded when the bytes arrived instead of decoding them again (Boot's in-memory cache managers
 * also hand out the stored object by reference).
 *
 * <p>Coherence: an entry lives exactly as long as its bytes are reachable. The near cache replaces or drops its array
 * when Redis reports the key changed; a new value is a new array, which has no entry here, so it is decoded afresh.
 * Nothing here can outlive or override what the near cache holds. Thread-safe.
 */
final class DecodedValues {
    private final Cache<byte[], Object> byBytes = Caffeine.newBuilder().weakKeys().executor(Runnable::run).build();

    /** The value of {@code bytes}: decoded once per array; a decode failure propagates and nothing is kept. */
    Object decode(byte[] bytes, CacheValueSerializer serializer) {
        Object value = byBytes.getIfPresent(bytes);
        if (value == null) {
            value = serializer.deserialize(bytes);
            if (value != null) {
                byBytes.put(bytes, value);
            }
        }
        return value;
    }

    /** Entries whose bytes are still reachable (approximate; for tests). */
    long size() {
        byBytes.cleanUp();
        return byBytes.estimatedSize();
    }
}
