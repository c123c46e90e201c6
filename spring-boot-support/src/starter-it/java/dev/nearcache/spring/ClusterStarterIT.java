package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisExtension;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/** The starter on a Redis Cluster named by {@code spring.data.redis.cluster.nodes}. */
class ClusterStarterIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(3, 0);

    private ApplicationContextRunner runner() {
        String nodes = redis.cluster().seedUris().stream().map(uri -> uri.substring("redis://".length()))
                .collect(Collectors.joining(","));
        return new ApplicationContextRunner()
                .withConfiguration(BootLine.cache())
                .withUserConfiguration(CachingEnabled.class)
                .withPropertyValues("spring.data.redis.cluster.nodes=" + nodes);
    }

    @Test
    void twoApplicationsShareACacheAcrossEveryMaster() {
        runner().run(a -> runner().run(b -> {
            assertThat(a).hasNotFailed();
            Cache ca = a.getBean(CacheManager.class).getCache("users");
            Cache cb = b.getBean(CacheManager.class).getCache("users");
            for (int id = 0; id < 60; id++) { // keys in every master's slots
                ca.put(id, "user " + id);
                assertEquals("user " + id, cb.get(id, String.class));
            }
            NearCache<?, ?> nearB = b.getBean(NearCache.class);
            await("b keeps them locally").atMost(Duration.ofSeconds(10)).until(() -> {
                for (int id = 0; id < 60; id++) {
                    cb.get(id);
                }
                return nearB.stats().hits() >= 60;
            });
            for (int id = 0; id < 60; id++) {
                ca.put(id, "renamed " + id);
            }
            await("b sees a's writes on every master").atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
                for (int id = 0; id < 60; id++) {
                    assertEquals("renamed " + id, cb.get(id, String.class));
                }
            });
            cb.clear();
            for (int id = 0; id < 60; id++) {
                assertNull(ca.get(id), "cleared on every master");
            }
        }));
    }

    @Test
    void aConnectionDetailsBeanNamesTheCluster() {
        List<String> nodes = redis.cluster().seedUris().stream().map(uri -> uri.substring("redis://".length()))
                .toList();
        BootLine.withCluster(CachingEnabled.withUnreachableUrl(), nodes).run(context -> {
            assertThat(context).hasNotFailed();
            Cache users = context.getBean(CacheManager.class).getCache("users");
            for (int id = 0; id < 30; id++) { // keys in every master's slots
                users.put(id, "user " + id);
                assertEquals("user " + id, users.get(id, String.class));
            }
        });
    }
}
