package dev.nearcache.demo;

import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import dev.nearcache.testkit.RedisSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the demo service, or with the argument {@code load} the load mode. Configured only by environment variables:
 * {@code REDIS_URL} (or {@code REDIS_HOST}..., or {@code REDIS_CLUSTER_NODES}) and {@code NEARCACHE_*} for the
 * cache, {@code PORT}, {@code CATALOG_DELAY_MS} and {@code INSTANCE_NAME} for the service, {@code LOAD_*} for the
 * load mode. Without {@code REDIS_URL}, {@code REDIS_HOST} or {@code REDIS_CLUSTER_NODES} it starts an embedded Redis and says so.
 */
public final class DemoMain {
    private DemoMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        RedisServer embedded = null;
        if (isBlank(env.get("REDIS_URL")) && isBlank(env.get("REDIS_HOST"))
                && isBlank(env.get("REDIS_CLUSTER_NODES"))) {
            embedded = RedisServers.builder().source(RedisSource.EMBEDDED).start();
            env.put("REDIS_URL", embedded.uri());
            System.out.println("REDIS_URL is not set: started an embedded Redis " + embedded.version() + " at "
                    + embedded.uri() + " (set REDIS_URL=redis://host:port to use yours)");
        }
        DemoConfig config = DemoConfig.from(env);
        try {
            if (args.length > 0 && args[0].equals("load")) {
                try (NearCache<String, String> cache = NearCache.builder().environment(env).build()) {
                    new LoadDriver(cache, new ProductCatalog(config.catalogDelay()), env, System.out).run();
                }
                return;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            DemoServer server = new DemoServer(config, env);
            System.out.println("Try: curl localhost:" + server.port() + "/products/42 ; curl -X PUT -d '{\"id\":42}'"
                    + " localhost:" + server.port() + "/products/42 ; curl localhost:" + server.port() + "/health ;"
                    + " curl localhost:" + server.port() + "/metrics   (Ctrl-C stops)");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "demo-shutdown"));
            stopped.await();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
