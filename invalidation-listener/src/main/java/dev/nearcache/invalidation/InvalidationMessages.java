package dev.nearcache.invalidation;

import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.RedisCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a RESP3 {@code invalidate} push, wherever it arrives: on an invalidation connection (the REDIRECT target)
 * or on a data connection that tracks its own reads ({@code CLIENT TRACKING ON} without REDIRECT). Stateless and
 * thread-safe.
 */
public final class InvalidationMessages {
    /** The push type Redis gives invalidations. */
    public static final String TYPE = "invalidate";

    private InvalidationMessages() {
    }

    /** Whether {@code message} is an invalidation. */
    public static boolean isInvalidation(PushMessage message) {
        return TYPE.equals(message.getType());
    }

    /**
     * The keys an invalidation names, decoded with {@code keyCodec}; null for an invalidation without keys, which
     * Redis sends on {@code FLUSHALL} and {@code FLUSHDB} (every tracked key is gone).
     *
     * @throws RuntimeException the codec's exception if a key cannot be decoded: the caller cannot tell which key
     *         changed and must treat the message as a flush
     */
    public static <K> List<K> keys(PushMessage message, RedisCodec<K, ?> keyCodec) {
        List<Object> content = message.getContent(ByteBuffer::duplicate);
        Object keys = content.size() > 1 ? content.get(1) : null;
        if (!(keys instanceof List<?> list)) {
            return null;
        }
        List<K> decoded = new ArrayList<>(list.size());
        for (Object key : list) {
            decoded.add(keyCodec.decodeKey((ByteBuffer) key));
        }
        return decoded;
    }
}
