package dev.nearcache.example;

import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import dev.nearcache.testkit.RedisSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A product service: {@code GET /products/{id}} reads through {@link ProductRepository}'s {@code @Cacheable}
 * lookup, {@code PUT /products/{id}} updates it with {@code @CachePut}; {@code /actuator/health} and
 * {@code /actuator/metrics/cache.gets} show the near cache. Redis comes from {@code spring.data.redis.*}
 * ({@code SPRING_DATA_REDIS_URL=redis://host:port}); without one it starts an embedded Redis and says so.
 */
@SpringBootApplication
@EnableCaching
public class ExampleApplication {

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(ExampleApplication.class);
        RedisServer embedded = null;
        if (System.getenv("SPRING_DATA_REDIS_URL") == null && System.getenv("SPRING_DATA_REDIS_HOST") == null
                && System.getProperty("spring.data.redis.url") == null) {
            embedded = RedisServers.builder().source(RedisSource.EMBEDDED).start();
            System.setProperty("spring.data.redis.url", embedded.uri());
            System.out.println("SPRING_DATA_REDIS_URL is not set: started an embedded Redis " + embedded.version()
                    + " at " + embedded.uri());
        }
        ConfigurableApplicationContext context = app.run(args);
        if (embedded != null) {
            // at exit the context closes (and with it the near cache) before the kit stops the embedded Redis
            RedisServers.closeBeforeServersOnExit(context);
        }
        String port = context.getEnvironment().getProperty("local.server.port");
        System.out.println("Try: curl localhost:" + port + "/products/42 ; curl -X PUT -H 'Content-Type:"
                + " application/json' -d '{\"id\":42,\"name\":\"Renamed\",\"price\":9.5}' localhost:" + port
                + "/products/42 ; curl localhost:" + port + "/actuator/health/nearcache   (Ctrl-C stops)");
    }
}
