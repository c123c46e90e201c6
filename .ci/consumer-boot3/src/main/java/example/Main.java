package example;

import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Boot 3.5 service on SPRING_DATA_REDIS_URL: a @Cacheable lookup twice (the method runs once), an eviction, the
 * lookup again (the method runs again); prints "consumer-boot3: ok" when all agree.
 */
@SpringBootApplication
@EnableCaching
public class Main {
    public record Greeting(String name, String text) {
    }

    public static class Greetings {
        private final AtomicInteger calls = new AtomicInteger();

        @Cacheable(cacheNames = "greetings", sync = true)
        public Greeting greet(String name) {
            calls.incrementAndGet();
            return new Greeting(name, "hello " + name);
        }

        @CacheEvict("greetings")
        public void forget(String name) {
        }

        public int calls() {
            return calls.get();
        }
    }

    @Bean
    Greetings greetings() {
        return new Greetings();
    }

    public static void main(String[] args) {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Main.class)
                .web(WebApplicationType.NONE).run(args)) {
            Greetings greetings = context.getBean(Greetings.class);
            Greeting first = greetings.greet("ada");
            Greeting again = greetings.greet("ada");
            if (!first.equals(again) || greetings.calls() != 1) {
                throw new IllegalStateException("read " + first + " then " + again + " in " + greetings.calls()
                        + " calls, expected one call");
            }
            greetings.forget("ada");
            greetings.greet("ada");
            if (greetings.calls() != 2) {
                throw new IllegalStateException("the eviction did not reach the cache: " + greetings.calls());
            }
            greetings.forget("ada");
            System.out.println("consumer-boot3: ok (" + context.getBean(CacheManager.class).getClass().getSimpleName()
                    + ", " + greetings.calls() + " calls)");
        }
    }
}
