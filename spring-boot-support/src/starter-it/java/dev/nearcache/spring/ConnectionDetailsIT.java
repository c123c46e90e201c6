package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.spring.NearCacheAutoConfigurationIT.App;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.Product;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.ProductService;
import dev.nearcache.testkit.Certificates;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Where a Boot application gets its Redis connection: a ConnectionDetails bean, and SSL bundles. */
class ConnectionDetailsIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();

    private static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(BootLine.cacheAndRedis()) // as with spring-boot-starter-data-redis
                .withUserConfiguration(App.class);
    }

    @Test
    void aConnectionDetailsBeanGoesAheadOfTheProperties() {
        RedisURI server = RedisURI.create(redis.server().uri());
        BootLine.withStandalone(runner(), server.getHost(), server.getPort())
                .withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1") // nothing listens there
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertEquals(new Product(1, "product 1 v1"), context.getBean(ProductService.class).find(1));
                    RedisClient client = RedisClient.create(redis.server().uri());
                    try (StatefulRedisConnection<String, String> direct = client.connect()) {
                        assertEquals(1, direct.sync().exists("products::1"), "written to the details' server");
                    } finally {
                        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                    }
                });
    }

    @Test
    void besideBootsOwnRedisBeansThePropertiesStillDo() {
        runner().withPropertyValues("spring.data.redis.url=" + redis.server().uri()).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(RedisConnectionFactory.class); // Boot's own, beside the near cache
            assertThat(context).hasSingleBean(BootLine.connectionDetailsType()); // made from the properties
            assertEquals(new Product(3, "product 3 v1"), context.getBean(ProductService.class).find(3));
        });
    }

    @Test
    void bootsClientNameAndConnectTimeoutApplyUnlessTheCacheHasItsOwn() {
        runner().withPropertyValues("spring.data.redis.url=" + redis.server().uri(),
                "spring.data.redis.client-name=orders", "spring.data.redis.connect-timeout=3s").run(context -> {
            assertThat(context).hasNotFailed();
            assertEquals(java.util.List.of("orders:nearcache-data-0", "orders:nearcache-data-1",
                    "orders:nearcache-invalidation", "orders:nearcache-writer"), clientNames("orders:"));
        });
        runner().withPropertyValues("spring.data.redis.url=" + redis.server().uri(),
                "spring.data.redis.client-name=orders", "nearcache.client-name=orders-cache").run(context -> {
            assertThat(context).hasNotFailed();
            assertEquals(4, clientNames("orders-cache:").size(), "nearcache.client-name goes first");
        });
        runner().withPropertyValues("spring.data.redis.url=" + redis.server().uri(),
                "spring.data.redis.client-name=order service").run(context -> assertThat(context).getFailure()
                        .rootCause().hasMessageContaining("spring.data.redis.client-name: clientName must be"));
        runner().withPropertyValues("spring.data.redis.url=" + redis.server().uri(),
                "spring.data.redis.connect-timeout=1ms").run(context -> assertThat(context).getFailure()
                        .rootCause().hasMessageContaining("spring.data.redis.connect-timeout: connectTimeout must be"));
    }

    /** The names in CLIENT LIST that begin with {@code prefix}, sorted. */
    private static java.util.List<String> clientNames(String prefix) {
        RedisClient client = RedisClient.create(redis.server().uri());
        try (StatefulRedisConnection<String, String> direct = client.connect()) {
            return java.util.Arrays.stream(direct.sync().clientList().split("\n"))
                    .map(line -> line.replaceAll(".* name=(\\S*) .*", "$1")).filter(n -> n.startsWith(prefix))
                    .sorted().toList();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void anSslBundleIsWhatTheTlsConnectionTrusts(@TempDir Path dir) throws Exception {
        assumeTrue(Certificates.opensslAvailable(dir), "openssl is not installed");
        Certificates certs = Certificates.make(dir, "DNS:localhost,IP:127.0.0.1");
        RedisServer tls;
        try {
            tls = RedisServers.builder().tls(certs.serverCert(), certs.serverKey(), certs.ca(), "no").start();
        } catch (IllegalStateException e) {
            assumeTrue(false, "this redis-server has no TLS: " + e.getMessage());
            return;
        }
        try (RedisServer server = tls) {
            String[] connection = {"spring.data.redis.host=localhost",
                    "spring.data.redis.port=" + server.tlsPort().orElseThrow()};
            runner().withPropertyValues(connection)
                    .withPropertyValues("spring.ssl.bundle.pem.redis.truststore.certificate=file:" + certs.ca(),
                            "spring.data.redis.ssl.bundle=redis")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertEquals(new Product(2, "product 2 v1"), context.getBean(ProductService.class).find(2));
                    });
            // the same without the bundle: the JVM's trust store does not know the test's CA
            runner().withPropertyValues(connection).withPropertyValues("spring.data.redis.ssl.enabled=true")
                    .run(context -> assertThat(context).hasFailed());
            // and a bundle that does not exist is named (by Boot's own Redis configuration first, when it is there)
            runner().withPropertyValues(connection).withPropertyValues("spring.data.redis.ssl.bundle=nope")
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("'nope'"));
            new ApplicationContextRunner().withConfiguration(BootLine.ssl()).withPropertyValues(connection)
                    .withPropertyValues("spring.data.redis.ssl.bundle=nope")
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("spring.data.redis.ssl.bundle").hasMessageContaining("'nope'"));
        }
    }
}
