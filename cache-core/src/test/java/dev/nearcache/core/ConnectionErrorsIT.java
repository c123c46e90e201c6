package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.RedisExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A cache that cannot connect says why in its own message, not only deep in the cause chain: an unknown host, a
 * refused connection, a server that does not speak TLS, a wrong password. (TLS certificate failures: {@link TlsIT}.)
 */
class ConnectionErrorsIT {
    private static final String SECRET = "pw-marker-93b1";

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static String failure(String uri) {
        NearCacheException e = assertThrows(NearCacheException.class, () -> NearCache.builder().redisUri(uri)
                .commandTimeout(Duration.ofMillis(500)).build().close());
        assertFalse(e.getMessage().contains(SECRET), "no password in: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
        }
    }

    @Test
    void anUnknownHostIsNamed() {
        assertContains(failure("redis://nohost.invalid:6379"), "nohost.invalid:6379", "unknown host 'nohost.invalid'");
    }

    @Test
    void aRefusedConnectionIsNamed() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        assertContains(failure("redis://127.0.0.1:" + port), "connection refused", "nothing listens on 127.0.0.1:"
                + port);
    }

    @Test
    void tlsToAPlainPortIsNamed() {
        // Redis does not answer a TLS ClientHello on its plain port: the handshake times out
        assertContains(failure("rediss://127.0.0.1:" + redis.server().port()), "no answer from",
                "never answers the TLS handshake");
    }

    /**
     * Redis answers a refused AUTH with WRONGPASS, which the message names, always: when Lettuce closes the channel
     * before it reports that reply (seen in CI with a known and with an unknown user), the cache asks the server
     * itself over a second connection. Never the password.
     */
    private static void assertNamesRefusedCredentials(String message) {
        assertContains(message, "authentication failed: WRONGPASS");
        assertTrue(!message.contains(SECRET), message);
    }

    @Test
    void aWrongPasswordIsNamed() {
        redis.server().command(Duration.ofSeconds(5), "ACL", "SETUSER", "app", "on", ">right", "~*", "+@all");
        try {
            assertNamesRefusedCredentials(failure("redis://app:" + SECRET + "@127.0.0.1:" + redis.server().port()));
            assertNamesRefusedCredentials(failure("redis://nobody:" + SECRET + "@127.0.0.1:"
                    + redis.server().port()));
        } finally {
            redis.server().command(Duration.ofSeconds(5), "ACL", "DELUSER", "app");
        }
    }

    /** What the cache falls back on when Lettuce closed the channel first: the server's own answer, asked again. */
    @Test
    void theServerIsAskedWhatItSaidToTheCredentials() {
        redis.server().command(Duration.ofSeconds(5), "ACL", "SETUSER", "app", "on", ">right", "~*", "+@all");
        try {
            String base = "@127.0.0.1:" + redis.server().port();
            String said = ConnectFailures.askServer(io.lettuce.core.RedisURI.create("redis://app:" + SECRET + base),
                    Duration.ofSeconds(2));
            assertTrue(said != null && said.startsWith("WRONGPASS") && !said.contains(SECRET), String.valueOf(said));
            assertTrue(ConnectFailures.askServer(io.lettuce.core.RedisURI.create("redis://app:right" + base),
                    Duration.ofSeconds(2)) == null, "accepted credentials: nothing to report");
        } finally {
            redis.server().command(Duration.ofSeconds(5), "ACL", "DELUSER", "app");
        }
    }
}
