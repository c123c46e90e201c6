package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS: a redis-server with a certificate from a CA made here with openssl, one that also requires client
 * certificates (mutual TLS), and the ways a connection must fail: no trust in the CA, a wrong CA, a host name the
 * certificate does not name. Skipped where redis-server was built without TLS (the embedded 6.2 binary) or openssl
 * is missing.
 */
class TlsIT {
    @TempDir
    static Path dir;
    private static RedisServer server;
    private static RedisServer mutual;
    private static int tlsPort;
    private static int mutualPort;

    @BeforeAll
    static void startTlsServers() throws Exception {
        assumeTrue(run("openssl", "version"), "openssl is not installed");
        ca("ca");
        ca("other-ca");
        signed("server", "ca", "/CN=localhost", "subjectAltName=DNS:localhost");
        signed("client", "ca", "/CN=nearcache-client", "extendedKeyUsage=clientAuth");
        tlsPort = freePort();
        mutualPort = freePort();
        try {
            server = tlsServer(tlsPort, "no");
            mutual = tlsServer(mutualPort, "yes");
        } catch (RuntimeException e) {
            assumeTrue(false, "this redis-server cannot serve TLS: " + e.getMessage());
        }
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

    private static RedisServer tlsServer(int port, String authClients) {
        return RedisServers.builder().config("tls-port", Integer.toString(port))
                .config("tls-cert-file", dir.resolve("server.crt").toString())
                .config("tls-key-file", dir.resolve("server.key").toString())
                .config("tls-ca-cert-file", dir.resolve("ca.crt").toString())
                .config("tls-auth-clients", authClients).start();
    }

    private static void ca(String name) throws Exception {
        assertTrue(run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", file(name + ".key"), "-out", file(name + ".crt"), "-days", "2", "-subj",
                "/CN=nearcache test " + name), "openssl made " + name);
    }

    private static void signed(String name, String ca, String subject, String extension) throws Exception {
        Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
        assertTrue(run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", file(name + ".key"), "-out", file(name + ".csr"), "-subj", subject));
        assertTrue(run("openssl", "x509", "-req", "-in", file(name + ".csr"), "-CA", file(ca + ".crt"), "-CAkey",
                file(ca + ".key"), "-CAcreateserial", "-out", file(name + ".crt"), "-days", "2", "-extfile",
                file(name + ".ext")));
    }

    private static String file(String name) {
        return dir.resolve(name).toString();
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static NearCacheBuilder<String, String> tls(String host, int port) {
        return NearCache.builder().redisUri("rediss://" + host + ":" + port).commandTimeout(Duration.ofSeconds(2));
    }

    @Test
    void withThePrivateCaItConnectsCachesAndIsInvalidatedOverTls() {
        RedisClient plainClient = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> other = plainClient.connect();
             NearCache<String, String> cache = tls("localhost", tlsPort).tlsCaFile(dir.resolve("ca.crt")).build()) {
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
        assertTrue(fails(tls("localhost", tlsPort)).contains("could not connect"), "the JVM does not trust our CA");
        fails(tls("localhost", tlsPort).tlsCaFile(dir.resolve("other-ca.crt")));
        // the certificate names localhost, not 127.0.0.1
        fails(tls("127.0.0.1", tlsPort).tlsCaFile(dir.resolve("ca.crt")));
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
                () -> NearCache.builder().redisUri(server.uri()).tlsCaFile(dir.resolve("ca.crt")).build());
        assertTrue(noTls.getMessage().contains("does not use TLS"), noTls.getMessage());
    }

    @Test
    void mutualTlsNeedsTheClientCertificate() {
        fails(tls("localhost", mutualPort).tlsCaFile(dir.resolve("ca.crt")));
        try (NearCache<String, String> cache = tls("localhost", mutualPort).tlsCaFile(dir.resolve("ca.crt"))
                .tlsClientCertificate(dir.resolve("client.crt"), dir.resolve("client.key")).build()) {
            Harness.cachedForSure(cache, "m", null);
        }
    }

    @Test
    void theEnvironmentConfiguresTheSame() {
        Map<String, String> env = Map.of("REDIS_URL", "redis://localhost:" + mutualPort, "REDIS_TLS", "true",
                "REDIS_TLS_CA_FILE", dir.resolve("ca.crt").toString(),
                "REDIS_TLS_CERT_FILE", dir.resolve("client.crt").toString(),
                "REDIS_TLS_KEY_FILE", dir.resolve("client.key").toString());
        try (NearCache<String, String> cache = NearCache.builder().environment(env).build()) {
            Harness.cachedForSure(cache, "e", null);
        }
        for (Map<String, String> bad : List.of(Map.of("REDIS_URL", "rediss://h:1", "REDIS_TLS_CA_FILE", "/nope.pem"),
                Map.of("REDIS_URL", "rediss://h:1", "REDIS_TLS_CERT_FILE", dir.resolve("client.crt").toString()))) {
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
