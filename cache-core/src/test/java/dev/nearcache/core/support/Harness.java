package dev.nearcache.core.support;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisServer;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds a cache's connections on the server and in a fault proxy, by the names the cache gives them. */
public final class Harness {
    public static final String LISTENER = "nearcache-invalidation";
    public static final String WRITER = "nearcache-writer";
    private static final Pattern ADDR = Pattern.compile(" addr=[^ ]*:(\\d+) ");
    private static final Pattern ID = Pattern.compile("^id=(\\d+) ");

    private Harness() {
    }

    /** Reads {@code key} until a read is served locally (tracking confirmed, caching works), checking each value. */
    public static void cachedForSure(NearCache<String, String> cache, String key, String expected) {
        cachedForSure(cache, key, value -> assertEquals(expected, value));
    }

    /** Reads {@code key} until a read is served locally. */
    public static void cachedForSure(NearCache<String, String> cache, String key) {
        cachedForSure(cache, key, value -> { });
    }

    private static void cachedForSure(NearCache<String, String> cache, String key, Consumer<String> check) {
        await("caching of " + key).atMost(Duration.ofSeconds(10)).until(() -> {
            long hits = cache.stats().hits();
            check.accept(cache.get(key));
            return cache.stats().hits() > hits;
        });
    }

    public static String data(int index) {
        return "nearcache-data-" + index;
    }

    /** The CLIENT LIST line of the connection named {@code name}. */
    public static String clientLine(RedisServer server, String name) {
        String list = (String) server.command(Duration.ofSeconds(2), "CLIENT", "LIST");
        return list.lines().filter(l -> l.contains(" name=" + name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no client named " + name + " in\n" + list));
    }

    public static long clientId(RedisServer server, String name) {
        Matcher m = ID.matcher(clientLine(server, name));
        if (!m.find()) {
            throw new AssertionError("no id in CLIENT LIST line");
        }
        return Long.parseLong(m.group(1));
    }

    public static void kill(RedisServer server, String name) {
        server.command(Duration.ofSeconds(2), "CLIENT", "KILL", "ID", Long.toString(clientId(server, name)));
    }

    /**
     * A torture test's fault: {@link #kill} the connection named {@code name}, described for the test's log; a
     * connection that is not there (still reconnecting from the previous fault) is left, and said so.
     */
    public static String killForTorture(RedisServer server, String name) {
        try {
            kill(server, name);
            return "CLIENT KILL " + name;
        } catch (AssertionError e) {
            return "(no " + name + " to kill)";
        }
    }

    /** The proxy link that carries the connection named {@code name}. */
    public static FaultProxy.Link link(FaultProxy proxy, RedisServer server, String name) {
        Matcher m = ADDR.matcher(clientLine(server, name));
        if (!m.find()) {
            throw new AssertionError("no addr in CLIENT LIST line");
        }
        int port = Integer.parseInt(m.group(1));
        return proxy.links().stream().filter(l -> l.upstreamLocalPort() == port).findFirst()
                .orElseThrow(() -> new AssertionError(name + " does not go through " + proxy));
    }
}
