package dev.nearcache.spring;

import dev.nearcache.spring.NearCacheAutoConfigurationIT.App;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What the starter's tests on one Redis server share: the server (flushed before each test), a direct connection to
 * it that bypasses the applications, and an application context with the starter and {@link App}.
 */
abstract class StandaloneRedisTests {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();

    static RedisClient client;
    static StatefulRedisConnection<String, byte[]> direct;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(redis.server().uri());
        direct = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    }

    @AfterAll
    static void disconnect() {
        direct.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** The starter with Boot's cache and metrics auto-configuration and {@link App}, on {@code redisUrl}. */
    static ApplicationContextRunner starter(String redisUrl) {
        return new ApplicationContextRunner()
                .withConfiguration(BootLine.cacheAndMetrics())
                .withUserConfiguration(App.class)
                .withPropertyValues("spring.data.redis.url=" + redisUrl);
    }
}
