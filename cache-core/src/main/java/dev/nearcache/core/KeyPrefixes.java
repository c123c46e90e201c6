package dev.nearcache.core;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;

/**
 * Opt-in caching ({@code cachedPrefixes}): whether a key begins with one of the prefixes, compared on the key's
 * encoded bytes (for UTF-8 string keys, on the String itself). The same test decides which reads are tracked
 * ({@code CLIENT CACHING YES} before their MGET) and which values may be stored: a value whose read was not
 * tracked must never be kept, so the two must agree. Thread-safe.
 */
final class KeyPrefixes<K> implements Predicate<K> {
    private final RedisCodec<K, ?> codec;
    private final List<String> prefixes;
    private final List<ByteBuffer> encoded;

    KeyPrefixes(RedisCodec<K, ?> codec, List<String> prefixes) {
        this.codec = codec;
        this.prefixes = List.copyOf(prefixes);
        this.encoded = prefixes.stream().map(p -> ByteBuffer.wrap(p.getBytes(StandardCharsets.UTF_8))).toList();
    }

    @Override
    public boolean test(K key) {
        if (codec == StringCodec.UTF8) {
            String k = (String) key;
            for (String prefix : prefixes) {
                if (k.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }
        ByteBuffer bytes = codec.encodeKey(key);
        for (ByteBuffer prefix : encoded) {
            if (bytes.remaining() >= prefix.remaining()
                    && bytes.slice().limit(prefix.remaining()).equals(prefix.duplicate())) {
                return true;
            }
        }
        return false;
    }
}
