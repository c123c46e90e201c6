package dev.nearcache.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatchingLoaderBuilderTest {

    @Test
    void everySettingIsValidatedWithAPreciseMessage() {
        BatchingLoaderBuilder<String, String> b = BatchingLoader.builder();
        assertEquals("connections must be between 1 and 64, got 0",
                assertThrows(IllegalArgumentException.class, () -> b.connections(0)).getMessage());
        assertEquals("maxBatchSize must be between 1 and 100000, got 0",
                assertThrows(IllegalArgumentException.class, () -> b.maxBatchSize(0)).getMessage());
        assertEquals("maxPendingKeys must be at least 1, got -5",
                assertThrows(IllegalArgumentException.class, () -> b.maxPendingKeys(-5)).getMessage());
        assertEquals("commandTimeout must be between 1 ms and 10 minutes, got PT0S",
                assertThrows(IllegalArgumentException.class, () -> b.commandTimeout(Duration.ZERO)).getMessage());
        assertEquals("commandTimeout must be between 1 ms and 10 minutes, got PT10M0.001S",
                assertThrows(IllegalArgumentException.class,
                        () -> b.commandTimeout(Duration.ofMinutes(10).plusMillis(1))).getMessage());
        assertEquals("connectTimeout must be between 100 ms and 5 minutes, got PT0.099S",
                assertThrows(IllegalArgumentException.class,
                        () -> b.connectTimeout(Duration.ofMillis(99))).getMessage());
        assertEquals("socketOptions must not be null",
                assertThrows(NullPointerException.class, () -> b.socketOptions(null)).getMessage());
        assertEquals("commandTimeout must not be null",
                assertThrows(NullPointerException.class, () -> b.commandTimeout(null)).getMessage());
        assertEquals("codec must not be null",
                assertThrows(NullPointerException.class, () -> b.codec(null)).getMessage());
        assertEquals("redisUri must be set before build()",
                assertThrows(IllegalStateException.class, b::build).getMessage());
    }

    @Test
    void aMalformedUriIsRejectedWithoutEchoingThePassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchingLoader.builder().redisUri("http://user:secret@host:1"));
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertEquals(true, e.getMessage().startsWith("redisUri must look like redis://host:port"), e.getMessage());
    }
}
