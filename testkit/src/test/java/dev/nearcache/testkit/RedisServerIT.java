package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RedisServerIT {

    @Test
    void startsARealServerThatLettuceTalksTo() {
        try (RedisServer redis = RedisServers.start()) {
            assertTrue(redis.version().matches("\\d+\\.\\d+\\.\\d+"), redis.version());
            assertEquals(redis.version(), withLettuce(redis, c -> c.sync().info("server")
                    .lines().filter(l -> l.startsWith("redis_version:")).findFirst().orElseThrow().substring(14)));
            withLettuce(redis, c -> c.sync().set("k", "v"));
            assertEquals("v", withLettuce(redis, c -> c.sync().get("k")));
        }
    }

    @Test
    void stopAndStartKeepThePortAndStartEmpty() {
        try (RedisServer redis = RedisServers.builder().config("maxmemory", "64mb").start()) {
            int port = redis.port();
            long firstPid = redis.pid().orElseThrow();
            withLettuce(redis, c -> c.sync().set("k", "v"));

            redis.stop();
            assertFalse(redis.isRunning());
            assertTrue(redis.pid().isEmpty());
            assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));

            redis.start();
            assertEquals(port, redis.port());
            assertTrue(redis.isRunning());
            assertNull(withLettuce(redis, c -> c.sync().get("k")), "persistence is off: a restart starts empty");
            assertEquals("67108864", ((java.util.List<?>) redis.command(Duration.ofSeconds(2), "CONFIG", "GET",
                    "maxmemory")).get(1), "extra config survives the restart");

            redis.kill();
            assertFalse(redis.isRunning());
            redis.restart();
            assertEquals(port, redis.port());
            assertTrue(redis.isRunning());
        }
    }

    @Test
    void closeReapsTheProcessAndDeletesTheDirectory() {
        LocalRedisServer redis = (LocalRedisServer) RedisServers.builder().config("maxmemory", "64mb").start();
        long pid = redis.pid().orElseThrow();
        Path dir = redis.directory();
        assertTrue(Files.isDirectory(dir));

        redis.close();

        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
        assertFalse(Files.exists(dir), dir + " is left behind");
        redis.close(); // idempotent
        assertThrows(IllegalStateException.class, redis::start);
    }

    @Test
    void serversNobodyClosedAreReapedWhenTheJvmExits() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AbandoningMain.class.getName())
                .redirectErrorStream(true).start();
        String report = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("ABANDONED ")) {
                    report = line;
                }
            }
        }
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not exit");
        assertEquals(0, child.exitValue());
        assertTrue(report != null, "child JVM did not report its server");
        String[] parts = report.split(" ", 3);
        long pid = Long.parseLong(parts[1]);
        Path dir = Path.of(parts[2]);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                "redis-server pid " + pid + " outlived its JVM");
        assertFalse(Files.exists(dir), dir + " outlived its JVM");
    }

    /** Run in a child JVM: starts a server and exits without closing it. */
    static final class AbandoningMain {
        public static void main(String[] args) {
            LocalRedisServer redis = (LocalRedisServer) RedisServers.builder().config("maxmemory", "64mb").start();
            System.out.println("ABANDONED " + redis.pid().orElseThrow() + " " + redis.directory());
            System.out.flush();
        }
    }

    @Test
    void embeddedSourceCanBeForced() {
        try (RedisServer redis = RedisServers.builder().source(RedisSource.EMBEDDED).start()) {
            assertEquals(RedisSource.EMBEDDED, redis.source());
            assertTrue(redis.version().startsWith("6.2."), redis.version());
        }
    }

    @Test
    void binarySourceRunsTheSystemRedisWhenThereIsOne() {
        assumeTrue(hasBinary(), "no redis-server on the PATH and no REDIS_SERVER_BINARY");
        try (RedisServer redis = RedisServers.builder().source(RedisSource.BINARY).start()) {
            assertEquals(RedisSource.BINARY, redis.source());
            assertTrue(redis.isRunning());
        }
    }

    @Test
    void externalServerFromRedisUrlIsUsedButNeverControlledOrLogged() {
        try (RedisServer local = RedisServers.builder().config("requirepass", "hunter2").start()) {
            String url = "redis://:hunter2@127.0.0.1:" + local.port();
            try (RedisServer external = RedisServers.builder()
                    .settings(Map.of(RedisServers.REDIS_URL, url)::get).start()) {
                assertEquals(RedisSource.EXTERNAL, external.source());
                assertEquals(url, external.uri());
                assertEquals(local.version(), external.version());
                assertFalse(external.isControllable());
                assertTrue(external.isRunning());
                assertFalse(external.toString().contains("hunter2"), external.toString());
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, external::stop);
                assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
                assertThrows(UnsupportedOperationException.class, external::kill);
                assertThrows(UnsupportedOperationException.class, external::start);
            }
            assertTrue(local.isRunning(), "closing an external server leaves it running");
        }
    }

    @Test
    void aServerThatCannotStartSaysWhyWithItsLog() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RedisServers.builder().config("no-such-directive", "1").start());
        assertTrue(e.getMessage().contains("no-such-directive"), e.getMessage());
    }

    private static boolean hasBinary() {
        try {
            new SourceResolver(RedisServers::setting).resolve(RedisSource.BINARY, true);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    static <T> T withLettuce(RedisServer redis, java.util.function.Function<StatefulRedisConnection<String, String>,
            T> action) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return action.apply(connection);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
