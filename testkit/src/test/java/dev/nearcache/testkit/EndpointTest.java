package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EndpointTest {

    @Test
    void parsesFullUrl() {
        Endpoint e = Endpoint.parse("REDIS_URL", "rediss://alice:s3cr%40t@cache.local:6380/2");
        assertEquals("cache.local", e.host());
        assertEquals(6380, e.port());
        assertTrue(e.tls());
        assertEquals("alice", e.username());
        assertEquals("s3cr@t", e.password());
        assertEquals(2, e.database());
    }

    @Test
    void defaultsPortAndTakesPasswordWithoutUser() {
        Endpoint e = Endpoint.parse("REDIS_URL", "redis://:pw@localhost");
        assertEquals(6379, e.port());
        assertNull(e.username());
        assertEquals("pw", e.password());
        assertFalse(e.tls());
    }

    @Test
    void neverShowsThePassword() {
        Endpoint e = Endpoint.parse("REDIS_URL", "redis://bob:hunter2@localhost:7000");
        assertFalse(e.toString().contains("hunter2"), e.toString());
        assertFalse(e.redacted().contains("hunter2"), e.redacted());
        assertEquals("redis://***@localhost:7000", e.redacted());
    }

    @Test
    void malformedValuesNameTheVariableAndTheForm() {
        IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
                () -> Endpoint.parse("REDIS_URL", "http://localhost:6379"));
        assertTrue(scheme.getMessage().startsWith("REDIS_URL must look like redis://"), scheme.getMessage());
        assertTrue(scheme.getMessage().contains("'http'"), scheme.getMessage());

        IllegalArgumentException db = assertThrows(IllegalArgumentException.class,
                () -> Endpoint.parse("REDIS_URL", "redis://localhost:6379/zero"));
        assertTrue(db.getMessage().contains("'zero' is not a number"), db.getMessage());

        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> Endpoint.parse("REDIS_URL", "redis:///0"));
        assertTrue(host.getMessage().contains("names no host"), host.getMessage());
    }
}
