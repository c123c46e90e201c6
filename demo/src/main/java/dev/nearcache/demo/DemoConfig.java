package dev.nearcache.demo;

import java.time.Duration;
import java.util.Map;

/** The demo's own settings, from environment variables; the cache's come from {@code NearCache}'s variables. */
record DemoConfig(int port, Duration catalogDelay, String instanceName) {

    static DemoConfig from(Map<String, String> env) {
        int port = integer(env, "PORT", 8080, 0, 65535);
        int delay = integer(env, "CATALOG_DELAY_MS", 50, 0, 60_000);
        String name = env.getOrDefault("INSTANCE_NAME", "demo");
        return new DemoConfig(port, Duration.ofMillis(delay), name);
    }

    private static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max + ", got '"
                + value + "'");
    }
}
