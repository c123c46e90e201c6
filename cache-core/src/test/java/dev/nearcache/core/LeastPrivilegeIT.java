package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Least privilege with real ACL users: the minimal ACL of docs/operating.md builds a working cache (and its read-only variant
 * a cache that reads), and a user without a permission the cache needs fails the build at once, naming it, instead
 * of building a cache that never caches or whose every read fails.
 */
class LeastPrivilegeIT {
    /** The minimal ACL of docs/operating.md, for a cache that reads and writes. */
    static final String MINIMAL = "~* resetchannels -@all +mget +set +del +ping +client|tracking +client|id +eval +pttl";
    /** What a cluster needs on top: the topology checks' CLUSTER NODES, and what Lettuce's cluster client asks. */
    static final String CLUSTER_ADDITIONS = "+cluster|nodes";

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient admin = new OtherClient(redis);

    private final List<String> users = new ArrayList<>();

    @AfterEach
    void deleteUsers() {
        users.forEach(user -> admin.sync().aclDeluser(user));
    }

    /** Creates {@code user} with password pw and the given ACL rules; returns its URI. */
    private String user(String user, String rules) {
        List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", user, "reset", "on", ">pw"));
        args.addAll(List.of(rules.split(" ")));
        redis.server().command(Duration.ofSeconds(2), args.toArray(new String[0]));
        users.add(user);
        RedisURI server = RedisURI.create(redis.server().uri());
        return "redis://" + user + ":pw@" + server.getHost() + ":" + server.getPort();
    }

    @Test
    void theMinimalAclBuildsACacheThatCachesAndIsInvalidated() {
        try (NearCache<String, String> cache = NearCache.builder().redisUri(user("minimal", MINIMAL)).build()) {
            admin.sync().set("k", "v1");
            Harness.cachedForSure(cache, "k", "v1");
            admin.sync().set("k", "v2");
            org.awaitility.Awaitility.await("invalidated").atMost(Duration.ofSeconds(5))
                    .until(() -> "v2".equals(cache.get("k")));
            cache.set("k", "v3");
            assertEquals("v3", admin.sync().get("k"));
            assertTrue(cache.stats().invalidationConnectionHealthy());
            // without +info and +config|get the tracking table is unknown, never an error
            assertEquals(-1, cache.stats().serverTrackingKeys());
            assertEquals(-1, cache.stats().serverTrackingFill());
        }
        try (NearCache<String, String> cache = NearCache.builder()
                .redisUri(user("observer", MINIMAL + " +info +config|get")).build()) {
            org.awaitility.Awaitility.await("with +info and +config|get it is seen").atMost(Duration.ofSeconds(10))
                    .until(() -> cache.stats().serverTrackingKeys() >= 0 && cache.stats().serverTrackingFill() >= 0);
        }
    }

    @Test
    void theReadOnlyVariantReadsAndRefusesWrites() {
        String readOnly = MINIMAL.replace(" +set +del", "");
        try (NearCache<String, String> cache = NearCache.builder().redisUri(user("reader", readOnly)).build()) {
            admin.sync().set("r", "v");
            Harness.cachedForSure(cache, "r", "v");
            NearCacheException e = assertThrows(NearCacheException.class, () -> cache.set("r", "w"));
            assertTrue(e.getMessage().contains("NOPERM"), e.getMessage());
        }
    }

    @Test
    void aMissingPermissionFailsTheBuildAtOnceNamingIt() {
        for (String[] missing : new String[][] {{"+client|tracking", "client"}, {"+mget", "mget"},
                {"+client|id", "client"}, {"+eval", "eval"}, {"+pttl", "pttl"}}) {
            String uri = user("lacks" + users.size(), MINIMAL.replace(" " + missing[0], ""));
            long start = System.nanoTime();
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> NearCache.builder().redisUri(uri).build().close(), "without " + missing[0]);
            long millis = (System.nanoTime() - start) / 1_000_000;
            String refusal = e.getMessage().split("\\. It needs ")[0].toLowerCase(java.util.Locale.ROOT);
            assertTrue(refusal.contains(missing[1]) && (refusal.contains("noperm") || refusal.contains("can't run")),
                    "without " + missing[0] + ": " + e.getMessage());
            assertTrue(millis < 5_000, "without " + missing[0] + " the build took " + millis + " ms");
        }
        // with the server TTL off, the script is not needed
        try (NearCache<String, String> cache = NearCache.builder().serverTtl(false)
                .redisUri(user("noscript", MINIMAL.replace(" +eval +pttl", ""))).build()) {
            Harness.cachedForSure(cache, "n", null);
        }
    }
}
