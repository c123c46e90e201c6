package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearCacheBuilderTest {

    /** {@code codec(...)} returns a new builder: every setting made before it must carry over, metrics included. */
    @Test
    void changingTheCodecKeepsEverySettingMadeBefore(@TempDir Path dir) throws Exception {
        for (String pem : new String[] {"ca.pem", "c.pem", "k.pem"}) {
            Files.writeString(dir.resolve(pem), "-");
        }
        NearCacheBuilder<String, String> before = NearCache.builder().redisUris("redis://a:1", "redis://b:2")
                .cluster(true).topologyRefreshPeriod(Duration.ofSeconds(7)).maximumWeight(1 << 20)
                .localTtl(Duration.ofMinutes(3)).maxValueBytes(4096).negativeCaching(false).serverTtl(false)
                .failFastWhenDisconnected(true).tlsCaFile(dir.resolve("ca.pem"))
                .tlsClientCertificate(dir.resolve("c.pem"), dir.resolve("k.pem")).tlsVerifyPeer(false)
                .metrics(new SimpleMeterRegistry(), "products").batchSize(77).verifyRate(9)
                .staleIfError(Duration.ofSeconds(30)).cachedPrefixes("p:").trackingMode(TrackingMode.REDIRECT)
                .broadcast(true).verifyFlushThreshold(5).connections(3).commandTimeout(Duration.ofSeconds(3))
                .heartbeatInterval(Duration.ofSeconds(2)).heartbeatTimeout(Duration.ofSeconds(4))
                .reconnectDebounce(Duration.ofMillis(300)).readThroughTtl(Duration.ofMinutes(5));
        NearCacheBuilder<byte[], byte[]> after = before.codec(ByteArrayCodec.INSTANCE);
        NearCacheBuilder<String, String> fresh = NearCache.builder();
        for (Field field : NearCacheBuilder.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) || field.getName().equals("codec")) {
                continue;
            }
            field.setAccessible(true);
            assertEquals(field.get(before), field.get(after), field.getName() + " was not carried over by codec()");
            // left at their defaults: shared resources need a lifecycle, and a count bound excludes the byte bound set
            if (!java.util.Set.of("clientResources", "maximumSize").contains(field.getName())) {
                assertNotEquals(field.get(fresh), field.get(before), field.getName()
                        + " is at its default here, so this test would not see it dropped: set it above");
            }
        }
    }
}
