package dev.nearcache.invalidation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvalidationListenerBuilderTest {

    @Test
    void everySettingIsValidatedWithAPreciseMessage() {
        InvalidationListenerBuilder<String> b = InvalidationListener.builder();
        assertEquals("heartbeatInterval must be between PT0.01S and PT1M, got PT0S",
                assertThrows(IllegalArgumentException.class, () -> b.heartbeatInterval(Duration.ZERO)).getMessage());
        assertEquals("heartbeatTimeout must not be null",
                assertThrows(NullPointerException.class, () -> b.heartbeatTimeout(null)).getMessage());
        assertEquals("reconnectDebounce must be between PT0S and PT1M, got PT-1S", assertThrows(
                IllegalArgumentException.class, () -> b.reconnectDebounce(Duration.ofSeconds(-1))).getMessage());
        assertEquals("clientName must be 1 to 64 letters, digits or -_.: (Redis forbids spaces), got 'my app'",
                assertThrows(IllegalArgumentException.class, () -> b.clientName("my app")).getMessage());
        assertEquals("redisUri must be set before build()",
                assertThrows(IllegalStateException.class, b::build).getMessage());
    }

    @Test
    void heartbeatTimeoutDefaultsToTwoIntervals() {
        assertEquals(Duration.ofSeconds(2), InvalidationListener.builder().heartbeatTimeout());
        assertEquals(Duration.ofMillis(600),
                InvalidationListener.builder().heartbeatInterval(Duration.ofMillis(300)).heartbeatTimeout());
    }

    @Test
    void resp2CodecCollectsEveryKeyOfAMessage() {
        KeyCollectingCodec<String> codec = new KeyCollectingCodec<>(io.lettuce.core.codec.StringCodec.UTF8);
        for (String key : List.of("a", "b", "c")) {
            codec.decodeValue(io.lettuce.core.codec.StringCodec.UTF8.encodeValue(key));
        }
        assertEquals(List.of("a", "b", "c"), codec.drain());
        assertEquals(List.of(), codec.drain());
    }
}
