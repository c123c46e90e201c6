package dev.nearcache.invalidation;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The codec of a RESP2 invalidation subscription. Lettuce's RESP2 Pub/Sub decoder keeps only the last element of
 * a multi-key message, and decodes it with the value codec (DESIGN.md, verified in {@code PubSubOutput}); but it
 * calls {@link #decodeValue} for every element, in order, on the connection's I/O thread. So this codec decodes
 * each element with the key codec and collects it, and the message callback that follows takes what was
 * collected. Channel names are decoded as UTF-8 strings.
 *
 * <p>Confined to one connection's I/O thread, like Lettuce's decoding; not thread-safe.
 */
final class KeyCollectingCodec<K> implements RedisCodec<String, Object> {
    private final RedisCodec<K, ?> keyCodec;
    private List<K> collected = new ArrayList<>();
    private RuntimeException undecodable;

    KeyCollectingCodec(RedisCodec<K, ?> keyCodec) {
        this.keyCodec = keyCodec;
    }

    /**
     * The keys decoded since the last call.
     *
     * @throws RuntimeException the key codec's exception if one of them could not be decoded: the caller cannot
     *         tell which key changed and must treat the message as a flush
     */
    List<K> drain() {
        List<K> keys = collected;
        RuntimeException failure = undecodable;
        collected = new ArrayList<>();
        undecodable = null;
        if (failure != null) {
            throw failure;
        }
        return keys;
    }

    @Override
    public String decodeKey(ByteBuffer bytes) {
        return StringCodec.UTF8.decodeKey(bytes);
    }

    @Override
    public Object decodeValue(ByteBuffer bytes) {
        try {
            collected.add(keyCodec.decodeKey(bytes));
        } catch (RuntimeException e) {
            undecodable = e;
        }
        return Boolean.TRUE;
    }

    @Override
    public ByteBuffer encodeKey(String key) {
        return StringCodec.UTF8.encodeKey(key);
    }

    @Override
    public ByteBuffer encodeValue(Object value) {
        throw new UnsupportedOperationException("the invalidation connection sends no values");
    }
}
