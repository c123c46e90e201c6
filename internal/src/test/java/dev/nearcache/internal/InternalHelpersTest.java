package dev.nearcache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;

class InternalHelpersTest {

    @Test
    void aCopyKeepsTheSentinelsAndTheMasterThatLettucesOwnCopyDrops() {
        RedisURI sentinel = RedisURI.create("redis-sentinel://user:secret@s0:26380,s1/3#mymaster");
        RedisURI copy = RedisUris.copyOf(sentinel).build();
        assertEquals("mymaster", copy.getSentinelMasterId());
        assertEquals(2, copy.getSentinels().size());
        assertEquals(3, copy.getDatabase());
        assertEquals("master mymaster (through Sentinel s0:26380,s1:26379)", RedisUris.describe(copy));
        assertFalse(RedisUris.describe(copy).contains("secret"));
        assertEquals("h:6380", RedisUris.describe(RedisURI.create("redis://:secret@h:6380")));
    }

    @Test
    void infoFieldsAreFoundByName() {
        String info = "# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\n";
        assertEquals("abc123", RedisInfo.field(info, "run_id"));
        assertEquals("7.0.15", RedisInfo.field(info, "redis_version"));
        assertNull(RedisInfo.field(info, "run"));
        assertNull(RedisInfo.field(null, "run_id"));
    }

    @Test
    void errorRepliesAreToldByTheirCode() {
        RedisCommandExecutionException noperm = new RedisCommandExecutionException("NOPERM no permissions");
        assertTrue(RedisErrors.is(noperm, "NOPERM"));
        assertFalse(RedisErrors.is(new IllegalStateException("NOPERM"), "NOPERM"), "only a reply of the server");
        assertTrue(RedisErrors.permission("NOPERM x"));
        assertTrue(RedisErrors.credentials("WRONGPASS invalid username-password pair"));
        assertTrue(RedisErrors.credentials("NOAUTH Authentication required."));
        assertTrue(RedisErrors.unavailable("LOADING Redis is loading the dataset in memory"));
        assertFalse(RedisErrors.unavailable("NOPERM x"));
        assertFalse(RedisErrors.hasCode(null, "NOPERM"));
    }

    @Test
    void clientNamesAreLettersDigitsAndAFewMarksUpToTheLength() {
        assertTrue(Limits.isClientName("orders:nearcache-data_0.1", 40));
        assertFalse(Limits.isClientName("", 40));
        assertFalse(Limits.isClientName("order service", 40));
        assertTrue(Limits.isClientName("a".repeat(40), 40));
        assertFalse(Limits.isClientName("a".repeat(41), 40));
    }
}
