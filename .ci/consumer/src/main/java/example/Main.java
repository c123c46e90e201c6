package example;

import dev.nearcache.core.NearCache;

/** Reads, writes and reads again through the near cache on REDIS_URL; prints "consumer: ok" when all agree. */
public final class Main {
    public static void main(String[] args) {
        try (NearCache<String, String> cache = NearCache.fromEnv()) {
            cache.set("consumer:greeting", "hello");
            String first = cache.get("consumer:greeting");
            String again = cache.get("consumer:greeting");
            if (!"hello".equals(first) || !"hello".equals(again)) {
                throw new IllegalStateException("read " + first + " then " + again + ", wrote hello");
            }
            cache.delete("consumer:greeting");
            System.out.println("consumer: ok (" + cache.stats().hits() + " hit, " + cache.stats().misses() + " miss)");
        }
    }
}
