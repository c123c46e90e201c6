package dev.nearcache.demo;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheException;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import dev.nearcache.testkit.RedisSource;
import java.io.PrintStream;
import java.net.BindException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the demo service, or with the argument {@code load} the load mode. Configured only by environment variables:
 * {@code REDIS_URL} (or {@code REDIS_HOST}..., or {@code REDIS_CLUSTER_NODES}) and {@code NEARCACHE_*} for the
 * cache, {@code PORT}, {@code CATALOG_DELAY_MS} and {@code INSTANCE_NAME} for the service, {@code LOAD_*} for the
 * load mode. Without {@code REDIS_URL}, {@code REDIS_HOST} or {@code REDIS_CLUSTER_NODES} it starts an embedded Redis
 * and says so.
 *
 * <p>Every way out closes the cache before the embedded Redis: a normal end, a start-up error (reported in one line,
 * exit status 2 for a setting, 1 otherwise) and SIGTERM or Ctrl-C to whichever JVM runs it (its own, or Maven's
 * under {@code exec:java}), so no redis-server process and no bound port outlives it.
 */
public final class DemoMain {
    /** The README's command, for the hint that starts a second instance. */
    static final String COMMAND = "./mvnw -q -pl demo -am compile exec:java";

    private DemoMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("maven.home") != null) {
            // Under exec:java the demo shares Maven's JVM, whose -q sets every slf4j-simple logger to "error" by a
            // system property: the demo logs at its own level (simplelogger.properties' info) or LOG_LEVEL's
            String level = System.getenv("LOG_LEVEL");
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", isBlank(level) ? "info" : level.trim());
        }
        int status = run(args, System.getenv(), System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err)
            throws InterruptedException {
        Map<String, String> env = new HashMap<>(environment);
        boolean load = args.length > 0 && args[0].equals("load");
        Resources resources = new Resources();
        Thread hook = new Thread(resources::close, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            DemoConfig config = DemoConfig.from(env);
            if (isBlank(env.get("REDIS_URL")) && isBlank(env.get("REDIS_HOST"))
                    && isBlank(env.get("REDIS_CLUSTER_NODES"))) {
                RedisServer embedded = RedisServers.builder().source(RedisSource.EMBEDDED).start();
                resources.embedded = embedded;
                // the kit stops its servers at exit too: have it close the cache first
                RedisServers.closeBeforeServersOnExit(resources);
                env.put("REDIS_URL", embedded.uri());
                out.println("REDIS_URL is not set: started an embedded Redis " + embedded.version() + " at "
                        + embedded.uri() + " (set REDIS_URL=redis://host:port to use yours)");
            }
            if (load) {
                resources.cache = NearCache.builder().environment(env).build();
                new LoadDriver(resources.cache, new ProductCatalog(config.catalogDelay()), env, out).run();
                return 0;
            }
            DemoServer server = startServer(config, env);
            resources.server = server;
            int port = server.port();
            out.println("Try: curl localhost:" + port + "/products/42 ; curl -X PUT -d '{\"id\":42}' localhost:"
                    + port + "/products/42 ; curl localhost:" + port + "/health ; curl localhost:" + port
                    + "/metrics   (Ctrl-C stops)");
            if (resources.embedded != null) {
                out.println("A second instance on this Redis (each reads the other's writes):  REDIS_URL="
                        + resources.embedded.uri() + " PORT=" + (port == 8080 ? 8081 : port + 1) + " " + COMMAND);
            }
            resources.stopped.await();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("demo: " + e.getMessage());
            return 2;
        } catch (NearCacheException e) {
            err.println("demo: " + e.getMessage());
            return 1;
        } finally {
            resources.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook has closed everything already
            }
        }
    }

    private static DemoServer startServer(DemoConfig config, Map<String, String> env) {
        try {
            return new DemoServer(config, env);
        } catch (BindException e) {
            throw new IllegalArgumentException("port " + config.port() + " is already in use: stop what listens there,"
                    + " or choose another with PORT (e.g. PORT=" + (config.port() + 1) + ", or PORT=0 for any free"
                    + " port)");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not listen on port " + config.port() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    /** What the demo opened, closed once, in order: the HTTP server and cache, then the embedded Redis. */
    private static final class Resources implements AutoCloseable {
        final CountDownLatch stopped = new CountDownLatch(1);
        volatile RedisServer embedded;
        volatile DemoServer server;
        volatile NearCache<String, String> cache;
        private boolean closed;

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (server != null) {
                    server.close();
                }
                if (cache != null) {
                    cache.close();
                }
            } finally {
                if (embedded != null) {
                    embedded.close();
                }
                stopped.countDown();
            }
        }
    }
}
