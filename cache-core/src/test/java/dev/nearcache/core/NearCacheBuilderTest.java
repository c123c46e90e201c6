package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearCacheBuilderTest {

    /** {@code codec(...)} returns a new builder: every setting made before it must carry over, metrics included. */
    @Test
    void changingTheCodecRetypesTheSameBuilderSoNoSettingCanBeLeftBehind() {
        NearCacheBuilder<String, String> before = NearCache.builder().redisUri("redis://a:1").batchSize(77)
                .metrics(new SimpleMeterRegistry(), "products").commandTimeout(Duration.ofSeconds(3));
        NearCacheBuilder<byte[], byte[]> after = before.codec(ByteArrayCodec.INSTANCE);
        assertSame(before, (Object) after, "codec() retypes this builder, as Caffeine's weigher() does: no copy");
        NearCacheSettings<byte[], byte[]> settings = after.settings();
        assertSame(ByteArrayCodec.INSTANCE, settings.codec());
        assertEquals(77, settings.batchSize());
        assertEquals(Duration.ofSeconds(3), settings.commandTimeout());
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
