package dev.nearcache.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheException;
import dev.nearcache.core.NearCacheStats;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo service: a product catalog behind the near cache.
 *
 * <ul>
 *   <li>{@code GET /products/{id}}: read-through; the slow catalog is asked only when Redis has nothing</li>
 *   <li>{@code PUT /products/{id}}: stores the request body as the product</li>
 *   <li>{@code GET /metrics}: Prometheus text</li>
 *   <li>{@code GET /health}: JSON with the state of the invalidation connection</li>
 * </ul>
 */
final class DemoServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoServer.class);

    private final NearCache<String, String> cache;
    private final ProductCatalog catalog;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer http;
    private final ExecutorService executor = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "demo-http");
        t.setDaemon(true);
        return t;
    });
    private final String name;

    DemoServer(DemoConfig config, Map<String, String> env) throws IOException {
        this.name = config.instanceName();
        this.catalog = new ProductCatalog(config.catalogDelay());
        // the port first: when it is taken, nothing else has been opened yet
        this.http = HttpServer.create(new InetSocketAddress(config.port()), 128);
        try {
            this.cache = NearCache.builder().environment(env).build();
        } catch (RuntimeException e) {
            http.stop(0);
            executor.shutdownNow();
            throw e;
        }
        cache.metrics("products").bindTo(registry);
        http.setExecutor(executor);
        http.createContext("/products/", this::products);
        http.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4",
                registry.scrape()));
        http.createContext("/health", this::health);
        http.start();
        log.info("{} listening on http://localhost:{}/products/1", name, port());
    }

    int port() {
        return http.getAddress().getPort();
    }

    NearCache<String, String> cache() {
        return cache;
    }

    private void products(HttpExchange exchange) throws IOException {
        String id = exchange.getRequestURI().getPath().substring("/products/".length());
        if (id.isEmpty() || id.contains("/")) {
            respond(exchange, 404, "text/plain", "no such path\n");
            return;
        }
        String key = "product:" + id;
        try {
            switch (exchange.getRequestMethod()) {
                case "GET": {
                    String product = cache.get(key, k -> catalog.lookup(id));
                    if (product == null) {
                        respond(exchange, 404, "text/plain", "no product " + id + "\n");
                    } else {
                        respond(exchange, 200, "application/json", product + "\n");
                    }
                    return;
                }
                case "PUT": {
                    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).trim();
                    if (body.isEmpty()) {
                        respond(exchange, 400, "text/plain", "the body is the product; it is empty\n");
                        return;
                    }
                    cache.set(key, body);
                    respond(exchange, 204, "text/plain", "");
                    return;
                }
                default:
                    respond(exchange, 405, "text/plain", "GET or PUT\n");
            }
        } catch (NearCacheException e) {
            log.warn("{}: {}", name, e.getMessage());
            respond(exchange, 503, "text/plain", e.getMessage() + "\n");
        }
    }

    private void health(HttpExchange exchange) throws IOException {
        NearCacheStats stats = cache.stats();
        boolean healthy = stats.invalidationConnectionHealthy();
        String json = String.format(java.util.Locale.ROOT, "{\"status\":\"%s\",\"instance\":\"%s\","
                        + "\"invalidationConnection\":\"%s\",\"trackingMode\":\"%s\",\"entries\":%d,\"hitRatio\":%.3f,"
                        + "\"invalidations\":%d,\"verifyChecks\":%d,\"verifyMismatches\":%d,\"staleServed\":%d,"
                        + "\"serverTrackingKeys\":%d,\"serverTrackingFill\":%.3f,\"catalogLookups\":%d}\n",
                healthy ? "UP" : "DEGRADED", name, healthy ? "connected" : "down: reads go to Redis, nothing cached",
                stats.trackingMode(), stats.size(), stats.hitRatio(), stats.invalidations(), stats.verifyChecks(),
                stats.verifyMismatches(), stats.staleServed(), stats.serverTrackingKeys(), stats.serverTrackingFill(),
                catalog.lookups());
        respond(exchange, healthy ? 200 : 503, "application/json", json);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, status == 204 ? -1 : bytes.length);
        if (status != 204) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        cache.close();
    }
}
