package dev.nearcache.core.support;

import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Another service's plain Lettuce connection to the test's server, writing behind the cache's back. Register it
 * beside the {@link RedisExtension} it connects to: it connects at its first use and closes after the class's tests.
 */
public final class OtherClient implements AfterAllCallback {
    private final RedisExtension redis;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

    public OtherClient(RedisExtension redis) {
        this.redis = redis;
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    public synchronized RedisCommands<String, String> sync() {
        if (connection == null) {
            client = RedisClient.create(redis.server().uri());
            connection = client.connect();
        }
        return connection.sync();
    }
}
