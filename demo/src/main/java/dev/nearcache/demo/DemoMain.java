package dev.nearcache.demo;

import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import dev.nearcache.testkit.RedisSource;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * The demo's entry point. For now it proves the set-up: it connects to {@code REDIS_URL}, or starts an embedded
 * Redis when that is not set, and prints the server's version. The demo service replaces this in a later issue.
 */
public final class DemoMain {
    private DemoMain() {
    }

    public static void main(String[] args) {
        String url = System.getenv("REDIS_URL");
        RedisServer embedded = null;
        if (url == null || url.isBlank()) {
            embedded = RedisServers.builder().source(RedisSource.EMBEDDED).start();
            url = embedded.uri();
            System.out.println("REDIS_URL is not set: started an embedded Redis at " + url);
        }
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            String info = connection.sync().info("server");
            String version = info.lines().filter(l -> l.startsWith("redis_version:"))
                    .map(l -> l.substring("redis_version:".length())).findFirst().orElse("unknown");
            System.out.println("Connected with Lettuce; Redis server version " + version);
        } finally {
            client.shutdown();
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
