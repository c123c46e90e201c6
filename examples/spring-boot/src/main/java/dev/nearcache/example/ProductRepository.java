package dev.nearcache.example;

import java.math.BigDecimal;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Repository;

/**
 * The slow system of record (50 ms a lookup) behind the cache "products". {@code sync = true} makes the lookup
 * single-flight: concurrent requests for one product run it once.
 */
@Repository
public class ProductRepository {
    private final AtomicLong lookups = new AtomicLong();

    @Cacheable(cacheNames = "products", sync = true)
    public Product find(long id) {
        lookups.incrementAndGet();
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Product(id, "Product " + id, BigDecimal.valueOf(id % 100).add(new BigDecimal("0.99")));
    }

    @CachePut(cacheNames = "products", key = "#p0.id()")
    public Product save(Product product) {
        return product;
    }

    /** How often the slow lookup ran. */
    public long lookups() {
        return lookups.get();
    }
}
