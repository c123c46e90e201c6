package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.testkit.Certificates;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS: a redis-server with a certificate from a CA made here with openssl, one that also requires client
 * certificates (mutual TLS), and the ways a connection must fail: no trust in the CA, a wrong CA, a host name the
 * certificate does not name. Runs on both CI legs (Debian's 7.0 and the embedded 6.2 binary have TLS); skipped
 * where redis-server was built without TLS or openssl is missing.
 */
class TlsIT {
    @TempDir
    static Path dir;
    private static Certificates certs;
    private static RedisServer server;
    private static RedisServer mutual;
    private static int tlsPort;
    private static int mutualPort;

    @BeforeAll
    static void startTlsServers() throws Exception {
        assumeTrue(Certificates.opensslAvailable(dir), "openssl is not installed");
        certs = Certificates.make(dir, "DNS:localhost"); // not 127.0.0.1: a host name mismatch to test
        try {
            server = RedisServers.builder().tls(certs.serverCert(), certs.serverKey(), certs.ca(), "no").start();
            mutual = RedisServers.builder().tls(certs.serverCert(), certs.serverKey(), certs.ca(), "yes").start();
        } catch (RuntimeException e) {
            assumeTrue(false, "this redis-server cannot serve TLS: " + e.getMessage());
        }
        tlsPort = server.tlsPort().orElseThrow();
        mutualPort = mutual.tlsPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (mutual != null) {
            mutual.close();
        }
    }

    private static NearCacheBuilder<String, String> tls(String host, int port) {
        return NearCache.builder().redisUri("rediss://" + host + ":" + port).commandTimeout(Duration.ofSeconds(2));
    }

    @Test
    void withThePrivateCaItConnectsCachesAndIsInvalidatedOverTls() {
        RedisClient plainClient = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> other = plainClient.connect();
             NearCache<String, String> cache = tls("localhost", tlsPort).tlsCaFile(certs.ca()).build()) {
            other.sync().set("t", "v1");
            Harness.cachedForSure(cache, "t", "v1");
            other.sync().set("t", "v2");
            await("invalidated over TLS").atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(cache.get("t")));
            cache.set("t", "v3");
            assertEquals("v3", other.sync().get("t"));
        } finally {
            plainClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void anUntrustedOrWrongCaOrAnUnnamedHostFailsTheBuild() {
        // each failure names its root cause in the top-level message
        String untrusted = fails(tls("localhost", tlsPort));
        assertTrue(untrusted.contains("TLS handshake failed: the server's certificate is not signed by a trusted CA"),
                "the JVM does not trust our CA: " + untrusted);
        String wrongCa = fails(tls("localhost", tlsPort).tlsCaFile(certs.otherCa()));
        assertTrue(wrongCa.contains("not signed by a trusted CA"), wrongCa);
        // the certificate names localhost, not 127.0.0.1
        String unnamed = fails(tls("127.0.0.1", tlsPort).tlsCaFile(certs.ca()));
        assertTrue(unnamed.contains("TLS handshake failed: the server's certificate does not name this host"),
                unnamed);
        // unless peer verification is turned off, explicitly (and logged as a warning)
        try (NearCache<String, String> cache = tls("127.0.0.1", tlsPort).tlsVerifyPeer(false).build()) {
            Harness.cachedForSure(cache, "unverified", null);
        }
    }

    @Test
    void aUriThatTurnsVerificationDownIsRefusedUnlessMeant() {
        NearCacheConfigurationException e = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUri("rediss://localhost:" + tlsPort + "?verifyPeer=NONE").build());
        assertTrue(e.getMessage().contains("tlsVerifyPeer(false)"), e.getMessage());
        NearCacheConfigurationException noTls = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUri(server.uri()).tlsCaFile(certs.ca()).build());
        assertTrue(noTls.getMessage().contains("does not use TLS"), noTls.getMessage());
    }

    @Test
    void mutualTlsNeedsTheClientCertificate() {
        String noCertificate = fails(tls("localhost", mutualPort).tlsCaFile(certs.ca()));
        assertTrue(noCertificate.contains("could not connect the near cache to Redis at localhost:" + mutualPort + ": "),
                noCertificate);
        try (NearCache<String, String> cache = tls("localhost", mutualPort).tlsCaFile(certs.ca())
                .tlsClientCertificate(certs.clientCert(), certs.clientKey()).build()) {
            Harness.cachedForSure(cache, "m", null);
        }
    }

    @Test
    void theEnvironmentConfiguresTheSame() {
        Map<String, String> env = Map.of("REDIS_URL", "redis://localhost:" + mutualPort, "REDIS_TLS", "true",
                "REDIS_TLS_CA_FILE", certs.ca().toString(),
                "REDIS_TLS_CERT_FILE", certs.clientCert().toString(),
                "REDIS_TLS_KEY_FILE", certs.clientKey().toString());
        try (NearCache<String, String> cache = NearCache.builder().environment(env).build()) {
            Harness.cachedForSure(cache, "e", null);
        }
        for (Map<String, String> bad : List.of(Map.of("REDIS_URL", "rediss://h:1", "REDIS_TLS_CA_FILE", "/nope.pem"),
                Map.of("REDIS_URL", "rediss://h:1", "REDIS_TLS_CERT_FILE", certs.clientCert().toString()))) {
            NearCacheConfigurationException e = assertThrows(NearCacheConfigurationException.class,
                    () -> NearCache.builder().environment(bad));
            assertTrue(e.getMessage().startsWith("REDIS_TLS_"), e.getMessage());
        }
    }

    /** The build fails with a NearCacheException; returns its message. */
    private static String fails(NearCacheBuilder<String, String> builder) {
        return assertThrows(NearCacheException.class, () -> builder.build().close()).getMessage();
    }
}
