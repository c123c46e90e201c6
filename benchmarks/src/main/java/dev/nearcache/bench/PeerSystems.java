package dev.nearcache.bench;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import java.time.Duration;
import java.util.Map;
import org.redisson.Redisson;
import org.redisson.api.RClientSideCaching;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.ClientSideCachingOptions;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redisson.config.Protocol;

/**
 * The systems the load drivers compare the near cache with, set up the same way in each: Redisson's
 * {@code RClientSideCaching} over RESP3 with an LRU of {@code size}, Lettuce's {@code ClientSideCaching} over a
 * Caffeine map of {@code size}, and plain Lettuce GET on one shared connection.
 */
final class PeerSystems {
    private PeerSystems() {
    }

    /** A system under test: a read function and its cleanup. */
    interface Reader extends AutoCloseable {
        String get(String key);

        /** Redis keyspace lookups per read that misses: 2 where each miss also reads the key's PTTL. */
        default int lookupsPerMiss() {
            return 1;
        }

        /** Keys read and MGETs sent so far, for systems that batch; null otherwise. */
        default long[] keysAndBatches() {
            return null;
        }

        @Override
        void close();
    }

    static Reader redisson(String uri, int size) {
        Config config = new Config();
        config.setProtocol(Protocol.RESP3);
        config.setCodec(StringCodec.INSTANCE);
        config.useSingleServer().setAddress(uri);
        RedissonClient client = Redisson.create(config);
        // Redisson's default eviction policy is NONE, which ignores the size: LRU bounds it like the others
        RClientSideCaching csc = client.getClientSideCaching(ClientSideCachingOptions.defaults()
                .evictionPolicy(ClientSideCachingOptions.EvictionPolicy.LRU).size(size));
        return new Reader() {
            public String get(String key) {
                return csc.<String>getBucket(key).get();
            }

            public void close() {
                csc.destroy();
                client.shutdown();
            }
        };
    }

    static Reader lettuceCsc(String uri, int size) {
        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> connection = client.connect();
        Map<String, String> map = Caffeine.newBuilder().maximumSize(size).<String, String>build().asMap();
        CacheFrontend<String, String> frontend = ClientSideCaching.enable(CacheAccessor.forMap(map), connection,
                TrackingArgs.Builder.enabled());
        return new Reader() {
            public String get(String key) {
                return frontend.get(key);
            }

            public void close() {
                frontend.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        };
    }

    static Reader plainGet(String uri) {
        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> connection = client.connect();
        return new Reader() {
            public String get(String key) {
                return connection.sync().get(key);
            }

            public void close() {
                connection.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        };
    }
}
