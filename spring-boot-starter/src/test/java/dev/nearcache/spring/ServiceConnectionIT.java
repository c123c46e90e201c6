package dev.nearcache.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.spring.NearCacheAutoConfigurationIT.App;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.Product;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.ProductService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.boot.testcontainers.service.connection.ServiceConnectionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * A Redis container with Boot's {@code @ServiceConnection}, as an application's own tests have it: the near cache
 * connects where the container's {@code DataRedisConnectionDetails} say, with no {@code spring.data.redis.*}
 * property. Runs where a Docker engine answers; skipped elsewhere, with the reason printed on the console.
 */
@SpringBootTest(classes = {App.class, ServiceConnectionIT.Containers.class},
        properties = "spring.data.redis.url=redis://127.0.0.1:1") // the container's details go ahead of it
@ImportAutoConfiguration({ServiceConnectionAutoConfiguration.class, DataRedisAutoConfiguration.class,
        NearCacheAutoConfiguration.class, CacheAutoConfiguration.class})
class ServiceConnectionIT {
    @BeforeAll
    static void docker() {
        boolean docker = DockerClientFactory.instance().isDockerAvailable();
        if (!docker) {
            // on the console, not only in the log file: a skip should be seen where the test results are read
            System.out.println("ServiceConnectionIT skipped: no Docker engine answers here, so no Redis container can"
                    + " start");
        }
        assumeTrue(docker, "no Docker engine answers here, so no Redis container can start");
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Containers {
        @Bean
        @ServiceConnection(name = "redis")
        GenericContainer<?> redis() {
            return new GenericContainer<>("redis:7.4").withExposedPorts(6379);
        }
    }

    @Autowired
    ProductService service;

    @Test
    void theNearCacheConnectsWhereTheContainersDetailsSay() {
        assertEquals(new Product(1, "product 1 v1"), service.find(1));
        assertEquals(new Product(1, "product 1 v1"), service.find(1));
        assertEquals(1, service.lookups());
    }
}
