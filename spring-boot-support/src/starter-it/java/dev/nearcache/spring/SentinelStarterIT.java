package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisSentinel;
import dev.nearcache.testkit.RedisServers;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/** The starter on a master watched by Redis Sentinel, named by {@code spring.data.redis.sentinel.*}. */
class SentinelStarterIT {
    private static RedisSentinel group;

    @BeforeAll
    static void start() {
        group = RedisServers.startSentinel(1, 3);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.close();
        }
    }

    @Test
    void theCacheFollowsTheMasterTheSentinelsName() {
        new ApplicationContextRunner()
                .withConfiguration(BootLine.cache())
                .withUserConfiguration(CachingEnabled.class)
                .withPropertyValues("spring.data.redis.sentinel.master=" + RedisSentinel.MASTER_NAME,
                        "spring.data.redis.sentinel.nodes=" + group.sentinelNodes())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Cache users = context.getBean(CacheManager.class).getCache("users");
                    users.put(1, "ada");
                    assertEquals("ada", users.get(1, String.class));
                    NearCache<?, ?> near = context.getBean(NearCache.class);
                    await("kept locally").atMost(Duration.ofSeconds(10)).until(() -> {
                        users.get(1);
                        return near.stats().hits() > 0;
                    });
                    group.failover();
                    await("served from the new master after the failover").atMost(Duration.ofSeconds(20))
                            .ignoreExceptions().until(() -> {
                                users.put(2, "grace");
                                return "grace".equals(users.get(2, String.class));
                            });
                    assertEquals("ada", users.get(1, String.class), "the replica had it");
                    assertThat(near.stats().flushes().get("master-switched")).isPositive();
                });
    }

    @Test
    void aConnectionDetailsBeanNamesTheSentinels() {
        java.util.List<String> sentinels = java.util.Arrays.asList(group.sentinelNodes().split(","));
        BootLine.withSentinel(CachingEnabled.withUnreachableUrl(), RedisSentinel.MASTER_NAME, sentinels)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Cache users = context.getBean(CacheManager.class).getCache("users");
                    await("the master the sentinels name answers").atMost(Duration.ofSeconds(20))
                            .ignoreExceptions().until(() -> {
                                users.put(3, "barbara");
                                return "barbara".equals(users.get(3, String.class));
                            });
                });
    }
}
