package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

/** Which read failures stale-if-error may answer: Redis could not answer, as opposed to answering with an error. */
class RedisUnavailableTest {
    private static NearCacheException read(Throwable cause) {
        return new NearCacheException("could not read Redis", cause);
    }

    @Test
    void outagesQualify() {
        assertTrue(TrackingNearCache.redisUnavailable(read(new RedisCommandTimeoutException("timed out"))));
        assertTrue(TrackingNearCache.redisUnavailable(read(new RedisConnectionException("refused"))));
        assertTrue(TrackingNearCache.redisUnavailable(read(
                new RedisException("Currently not connected. Commands are rejected."))));
        assertTrue(TrackingNearCache.redisUnavailable(read(new RedisCommandExecutionException(
                "CLUSTERDOWN Hash slot not served"))));
        assertTrue(TrackingNearCache.redisUnavailable(read(new RedisCommandExecutionException("LOADING"))));
    }

    @Test
    void answersDoNot() {
        assertFalse(TrackingNearCache.redisUnavailable(read(new RedisCommandExecutionException(
                "NOPERM this user has no permissions to access one of the keys"))));
        assertFalse(TrackingNearCache.redisUnavailable(read(new RedisException("value of key k cannot be decoded"))));
        assertFalse(TrackingNearCache.redisUnavailable(read(new IllegalArgumentException("bad JSON"))));
    }
}
