package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceResolverTest {

    private static SourceResolver with(Map<String, String> env) {
        return new SourceResolver(env::get);
    }

    @Test
    void redisUrlComesFirstForPlainServers() {
        SourceResolver.Choice choice = with(Map.of("REDIS_URL", "redis://localhost:6379",
                "REDIS_SERVER_BINARY", "/nonexistent")).resolve(null, true);
        assertEquals(RedisSource.EXTERNAL, choice.source());
        assertEquals("redis://localhost:6379", choice.detail());
    }

    @Test
    void clustersAndConfiguredServersSkipRedisUrl() {
        SourceResolver.Choice choice = with(Map.of("REDIS_URL", "redis://localhost:6379", "PATH", ""))
                .resolve(null, false);
        assertTrue(choice.source() == RedisSource.EMBEDDED || choice.source() == RedisSource.CONTAINER,
                choice.toString());
    }

    @Test
    void badBinaryPathNamesTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(Map.of("REDIS_SERVER_BINARY", "/no/such/redis-server")).resolve(null, true));
        assertTrue(e.getMessage().startsWith("REDIS_SERVER_BINARY must be the path of an executable redis-server"),
                e.getMessage());
        assertTrue(e.getMessage().contains("/no/such/redis-server"), e.getMessage());
    }

    @Test
    void badForcedSourceNamesTheVariableAndChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(Map.of("REDIS_TESTKIT_SOURCE", "docker")).resolve(null, true));
        assertEquals("REDIS_TESTKIT_SOURCE must be one of external, binary, embedded, container; it is 'docker'",
                e.getMessage());
    }

    @Test
    void forcedExternalWithoutUrlSaysWhatIsMissing() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> with(Map.of()).resolve(RedisSource.EXTERNAL, true));
        assertTrue(e.getMessage().contains("REDIS_URL"), e.getMessage());
    }

    @Test
    void forcedBinaryWithoutOneSaysWhy() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> with(Map.of("PATH", "")).resolve(RedisSource.BINARY, true));
        assertTrue(e.getMessage().contains("no redis-server is on the PATH"), e.getMessage());
    }

    @Test
    void embeddedIsFoundWithoutAnyEnvironment() {
        SourceResolver.Choice choice = with(Map.of()).resolve(RedisSource.EMBEDDED, true);
        assertEquals(RedisSource.EMBEDDED, choice.source());
        assertTrue(choice.detail().startsWith("redis-server-6."), choice.detail());
    }
}
