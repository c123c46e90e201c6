package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
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
                .tlsManagers(TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()),
                        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()))
                .metrics(new SimpleMeterRegistry(), "products").batchSize(77).verifyRate(9)
                .staleIfError(Duration.ofSeconds(30)).cachedPrefixes("p:").trackingMode(TrackingMode.REDIRECT)
                .broadcast(true).verifyFlushThreshold(5).connections(3).commandTimeout(Duration.ofSeconds(3))
                .connectTimeout(Duration.ofSeconds(4)).clientName("orders").startWithoutRedis(true)
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

    /** TLS managers are applied or refused, never ignored (as the TLS files are). */
    @Test
    void tlsManagersAreRefusedWithoutTlsOrBesideTheTlsFiles(@TempDir Path dir) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init((java.security.KeyStore) null);
        NearCacheConfigurationException none = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().tlsManagers(null, null));
        assertTrue(none.getMessage().contains("tlsManagers"), none.getMessage());
        NearCacheConfigurationException plain = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUri("redis://127.0.0.1:1").tlsManagers(trust, null).build());
        assertTrue(plain.getMessage().startsWith("tlsManagers is set, but the connection does not use TLS"),
                plain.getMessage());
        Files.writeString(dir.resolve("ca.pem"), "-");
        NearCacheConfigurationException both = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUri("rediss://127.0.0.1:1").tlsCaFile(dir.resolve("ca.pem"))
                        .tlsManagers(trust, null).build());
        assertTrue(both.getMessage().contains("set one or the other"), both.getMessage());
    }
}
