package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.internal.Limits;
import dev.nearcache.invalidation.InvalidationListenerBuilder;
import dev.nearcache.loader.BatchingLoaderBuilder;
import dev.nearcache.testkit.RedisExtension;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every value the builder accepts builds a working cache: each setting at both ends of its range, against a real
 * server (the inner loader and listener have ranges of their own; the builder's must lie within them), and one step
 * past either end is refused by the builder itself, naming the setting.
 */
class SettingsBoundsIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static Arguments at(String what, UnaryOperator<NearCacheBuilder<String, String>> setting) {
        return Arguments.of(what, setting);
    }

    static Stream<Arguments> bounds() {
        return Stream.of(
                at("commandTimeout 10 ms", b -> b.commandTimeout(Duration.ofMillis(10))),
                at("commandTimeout 10 minutes", b -> b.commandTimeout(Duration.ofMinutes(10))),
                at("connectTimeout 100 ms", b -> b.connectTimeout(Duration.ofMillis(100))),
                at("connectTimeout 5 minutes", b -> b.connectTimeout(Duration.ofMinutes(5))),
                at("clientName of 40 characters", b -> b.clientName("a".repeat(40))),
                at("heartbeatInterval 10 ms", b -> b.heartbeatInterval(Duration.ofMillis(10))),
                at("heartbeatInterval 1 minute", b -> b.heartbeatInterval(Duration.ofMinutes(1))),
                at("heartbeatTimeout 10 ms", b -> b.heartbeatTimeout(Duration.ofMillis(10))),
                at("heartbeatTimeout 5 minutes", b -> b.heartbeatTimeout(Duration.ofMinutes(5))),
                at("reconnectDebounce 0", b -> b.reconnectDebounce(Duration.ZERO)),
                at("reconnectDebounce 1 minute", b -> b.reconnectDebounce(Duration.ofMinutes(1))),
                at("connections 1", b -> b.connections(1)),
                at("connections 64", b -> b.connections(64)),
                at("batchSize 1", b -> b.batchSize(1)),
                at("batchSize 100000", b -> b.batchSize(100_000)),
                at("localTtl 1 ms", b -> b.localTtl(Duration.ofMillis(1))),
                at("localTtl 365 days", b -> b.localTtl(Duration.ofDays(365))),
                at("readThroughTtl 3650 days", b -> b.readThroughTtl(Duration.ofDays(3650))),
                at("maxValueBytes 1", b -> b.maxValueBytes(1)),
                at("maximumSize 0", b -> b.maximumSize(0)),
                at("maximumWeight 1", b -> b.maximumWeight(1)),
                at("topologyRefreshPeriod 1 hour", b -> b.topologyRefreshPeriod(Duration.ofHours(1))),
                at("serverTtl off", b -> b.serverTtl(false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bounds")
    void everyAcceptedValueBuilds(String what, UnaryOperator<NearCacheBuilder<String, String>> setting) {
        NearCacheBuilder<String, String> builder = setting.apply(NearCache.builder().redisUri(redis.server().uri()));
        try (NearCache<String, String> cache = builder.build()) {
            try {
                cache.get("bounds");
            } catch (NearCacheException e) {
                // a 10 ms command timeout may expire on a busy machine; what matters here is that it built
                assertTrue(e.getMessage().contains("command timeout"), e.getMessage());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pastTheBounds")
    void oneStepPastEitherEndIsRefusedNamingTheSetting(String name,
                                                        UnaryOperator<NearCacheBuilder<String, String>> setting) {
        NearCacheConfigurationException e = assertThrows(NearCacheConfigurationException.class,
                () -> setting.apply(NearCache.builder()));
        assertTrue(e.getMessage().startsWith(name + " must be between "), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void theDerivedConnectTimeoutStaysWithinWhatTheLoaderAndTheListenerAccept() {
        for (Duration commandTimeout : new Duration[] {NearCacheBuilder.MIN_COMMAND_TIMEOUT,
                Limits.MAX_COMMAND_TIMEOUT}) {
            Duration connect = NearCache.builder().commandTimeout(commandTimeout).settings().connectTimeout();
            assertTrue(connect.compareTo(Limits.MIN_CONNECT_TIMEOUT) >= 0
                    && connect.compareTo(Limits.MAX_CONNECT_TIMEOUT) <= 0
                    && connect.compareTo(Limits.MIN_CONNECT_TIMEOUT) >= 0
                    && connect.compareTo(Limits.MAX_CONNECT_TIMEOUT) <= 0, connect.toString());
        }
    }

    static Stream<Arguments> pastTheBounds() {
        Duration ms = Duration.ofMillis(1);
        return Stream.of(
                at("commandTimeout", b -> b.commandTimeout(NearCacheBuilder.MIN_COMMAND_TIMEOUT.minus(ms))),
                at("commandTimeout", b -> b.commandTimeout(Limits.MAX_COMMAND_TIMEOUT.plus(ms))),
                at("connectTimeout", b -> b.connectTimeout(Limits.MIN_CONNECT_TIMEOUT.minus(ms))),
                at("connectTimeout", b -> b.connectTimeout(Limits.MAX_CONNECT_TIMEOUT.plus(ms))),
                at("heartbeatInterval", b -> b.heartbeatInterval(Limits.MIN_HEARTBEAT.minus(ms))),
                at("heartbeatInterval",
                        b -> b.heartbeatInterval(Limits.MAX_HEARTBEAT_INTERVAL.plus(ms))),
                at("heartbeatTimeout", b -> b.heartbeatTimeout(Limits.MIN_HEARTBEAT.minus(ms))),
                at("heartbeatTimeout",
                        b -> b.heartbeatTimeout(Limits.MAX_HEARTBEAT_TIMEOUT.plus(ms))),
                at("reconnectDebounce", b -> b.reconnectDebounce(ms.negated())),
                at("reconnectDebounce",
                        b -> b.reconnectDebounce(Limits.MAX_RECONNECT_DEBOUNCE.plus(ms))),
                at("localTtl", b -> b.localTtl(Duration.ZERO)),
                at("topologyRefreshPeriod", b -> b.topologyRefreshPeriod(Duration.ofHours(1).plus(ms))));
    }
}
