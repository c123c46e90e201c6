package dev.nearcache.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.RedisExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two demo instances on one Redis, driven over HTTP as a user would. */
class DemoEndToEndIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> call(DemoServer server, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .timeout(Duration.ofSeconds(10));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String scrape, String name, String tag) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(tag)
                + "[^}]*} ([0-9.Ee+-]+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void anUpdateThroughOneInstanceIsSeenByTheOther() throws Exception {
        Map<String, String> env = Map.of("REDIS_URL", redis.server().uri(), "PORT", "0", "CATALOG_DELAY_MS", "20");
        try (DemoServer a = new DemoServer(new DemoConfig(0, Duration.ofMillis(20), "a"), env);
             DemoServer b = new DemoServer(new DemoConfig(0, Duration.ofMillis(20), "b"), env)) {
            HttpResponse<String> first = call(a, "GET", "/products/7", null);
            assertEquals(200, first.statusCode());
            assertTrue(first.body().contains("\"name\":\"Product 7\""), first.body());
            assertEquals(first.body(), call(b, "GET", "/products/7", null).body(), "b reads what a filled in Redis");
            await("b caches it").atMost(Duration.ofSeconds(10)).until(() -> {
                call(b, "GET", "/products/7", null);
                return b.cache().stats().hits() > 0;
            });

            assertEquals(204, call(a, "PUT", "/products/7", "{\"id\":7,\"name\":\"Renamed\"}").statusCode());
            await("b sees a's update once the invalidation arrives").atMost(Duration.ofSeconds(1))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> call(b, "GET", "/products/7", null).body().contains("Renamed"));
            assertTrue(call(a, "GET", "/products/7", null).body().contains("Renamed"), "a reads its own write");

            String metrics = call(b, "GET", "/metrics", null).body();
            assertTrue(metric(metrics, "nearcache_gets_total", "result=\"hit\"") > 0, metrics);
            assertTrue(metric(metrics, "nearcache_invalidations_total", "cache=\"products\"") > 0, metrics);
            HttpResponse<String> health = call(b, "GET", "/health", null);
            assertEquals(200, health.statusCode());
            assertTrue(health.body().contains("\"invalidationConnection\":\"connected\""), health.body());
            assertTrue(health.body().contains("\"trackingMode\":\"REDIRECT\""), health.body());
            assertEquals(404, call(a, "GET", "/products/not-a-number", null).statusCode());
            assertEquals(400, call(a, "PUT", "/products/8", "").statusCode());
        }
    }
}
