package dev.nearcache.loader;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.output.CommandOutput;

/**
 * The integers of an MGET's {@link BatchingLoader#PTTL_SCRIPT} replies, unboxed into one array in key order: the
 * scripts share it, and the connection decodes their replies one after another, in the order they were written.
 */
final class TtlsOutput<K, V> extends CommandOutput<K, V, long[]> {
    private int next;

    TtlsOutput(RedisCodec<K, V> codec, int keys) {
        super(codec, new long[keys]);
    }

    /** How many integers have arrived. */
    int read() {
        return next;
    }

    @Override
    public void set(long integer) {
        if (next < output.length) { // a reply longer than its keys fails the batch below, never overruns
            output[next++] = integer;
        } else {
            setError("the TTL script returned more integers than it was given keys");
        }
    }
}
