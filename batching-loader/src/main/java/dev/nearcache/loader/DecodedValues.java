package dev.nearcache.loader;

import io.lettuce.core.RedisException;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * MGET's values, each decoded by the codec as it arrives. A value the codec cannot decode is recorded rather than
 * thrown: thrown, it would make Lettuce close the connection, failing every command on it.
 */
final class DecodedValues<K, V> extends CommandOutput<K, V, List<V>> {
    RedisException failure;

    DecodedValues(RedisCodec<K, V> codec) {
        super(codec, new ArrayList<>());
    }

    @Override
    public void multi(int count) {
        if (output.isEmpty()) {
            output = new ArrayList<>(count);
        }
    }

    @Override
    public void set(ByteBuffer bytes) {
        V value = null;
        if (bytes != null) {
            try {
                value = codec.decodeValue(bytes);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = new UndecodableValueException("the codec could not decode a value read from Redis: "
                            + e, e);
                }
            }
        }
        output.add(value);
    }
}
