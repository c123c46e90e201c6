package dev.nearcache.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A redis-server process on the loopback interface, in a temporary directory of its own. */
final class LocalRedisServer implements RedisServer {
    private static final Logger log = LoggerFactory.getLogger(LocalRedisServer.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);
    private static final int BIND_RETRIES = 5;

    private final RedisSource source;
    private final Path binary;
    private final Map<String, String> config;
    private final boolean clusterBus;
    /** Runs as a Sentinel ({@code redis-server sentinel.conf --sentinel}). */
    private final boolean sentinel;
    private final Path directory;
    private volatile int port;
    /** The TLS port, chosen on the first start when the configuration asks for one ({@code tls-port auto}). */
    private volatile int tlsPort;
    private volatile String version = "unknown";
    private Process process;
    private boolean closed;

    LocalRedisServer(RedisSource source, Path binary, Map<String, String> extraConfig, int port) {
        this(source, binary, extraConfig, port, false);
    }

    LocalRedisServer(RedisSource source, Path binary, Map<String, String> extraConfig, int port, boolean sentinel) {
        this.sentinel = sentinel;
        this.source = source;
        this.binary = binary;
        this.config = new LinkedHashMap<>(extraConfig);
        this.clusterBus = "yes".equals(extraConfig.get("cluster-enabled"));
        this.port = port;
        try {
            this.directory = Files.createTempDirectory("nearcache-redis-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for redis-server", e);
        }
        Reaper.register(directory);
    }

    @Override
    public String uri() {
        String password = password();
        return "redis://" + (password != null ? ":" + password + "@" : "") + host() + ":" + port;
    }

    private String password() {
        String value = config.get("requirepass");
        return value == null ? null : value.replaceAll("^\"|\"$", "");
    }

    private Endpoint endpoint() {
        return new Endpoint(host(), port, false, null, password(), 0);
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public RedisSource source() {
        return source;
    }

    @Override
    public boolean isControllable() {
        return true;
    }

    @Override
    public boolean isRunning() {
        return RespClient.ping(endpoint(), Duration.ofSeconds(1));
    }

    @Override
    public synchronized OptionalLong pid() {
        return process != null && process.isAlive() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
    }

    /** The directory holding the server's config, log and (cluster) nodes file. */
    Path directory() {
        return directory;
    }

    @Override
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("redis-server on port " + port + " was closed; start a new one");
        }
        if (process != null && process.isAlive()) {
            return;
        }
        boolean choosePort = port == 0;
        boolean chooseTlsPort = "auto".equals(config.get("tls-port")) && tlsPort == 0;
        for (int attempt = 1; ; attempt++) {
            if (choosePort) {
                port = Ports.free(clusterBus);
            }
            if (chooseTlsPort) {
                do {
                    tlsPort = Ports.free(clusterBus);
                } while (tlsPort == port);
            }
            try {
                launch();
                return;
            } catch (IllegalStateException e) {
                boolean portTaken = e.getMessage().contains("Address already in use");
                if (!(choosePort || chooseTlsPort) || !portTaken || attempt == BIND_RETRIES) {
                    throw e;
                }
                log.debug("port {} was taken before redis-server bound it; trying another", port);
            }
        }
    }

    private void launch() {
        Path conf = directory.resolve("redis.conf");
        Path logFile = directory.resolve("redis.log");
        try {
            Files.writeString(conf, configText(), StandardCharsets.UTF_8);
            Files.deleteIfExists(logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + conf, e);
        }
        List<String> command = new java.util.ArrayList<>(List.of(binary.toString(), conf.toString()));
        if (sentinel) {
            command.add("--sentinel"); // it rewrites its own config file, in this directory
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        Process started;
        try {
            started = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + binary + ": " + e.getMessage(), e);
        }
        Reaper.register(started);
        process = started;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!RespClient.ping(endpoint(), Duration.ofMillis(500))) {
            if (!started.isAlive() || System.nanoTime() > deadline) {
                String why = started.isAlive() ? "did not answer PING within " + START_TIMEOUT
                        : "exited with " + started.exitValue();
                Reaper.terminate(started, false, STOP_GRACE);
                process = null;
                throw new IllegalStateException("redis-server (" + binary + ") on port " + port + " " + why
                        + "; end of its log:\n" + tail(logFile));
            }
            sleepQuietly(20);
        }
        Map<String, String> info = parseInfo((String) command(ADMIN_TIMEOUT, "INFO", "server"));
        version = info.getOrDefault("redis_version", "unknown");
        // Valkey reports the Redis version it is compatible with as redis_version, and its own beside it
        String valkey = info.containsKey("valkey_version") ? " (Valkey " + info.get("valkey_version") + ")" : "";
        log.info("Started Redis {}{}{} from {} ({}) on {} pid {} in {}", version, valkey, sentinel ? " Sentinel" : "",
                source, binary, endpoint(), started.pid(), directory);
    }

    private String configText() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("port", Integer.toString(port));
        all.put("bind", "127.0.0.1");
        all.put("daemonize", "no");
        all.put("dir", quote(directory.toString()));
        if (!sentinel) {
            // persistence off: a restarted server starts empty, and nothing is written but the log
            all.put("save", "\"\"");
            all.put("appendonly", "no");
        }
        all.put("loglevel", "notice");
        all.putAll(config);
        if (tlsPort != 0) {
            all.put("tls-port", Integer.toString(tlsPort));
        }
        StringBuilder text = new StringBuilder();
        all.forEach((name, value) -> text.append(name).append(' ').append(value).append('\n'));
        return text.toString();
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    @Override
    public java.util.OptionalInt tlsPort() {
        return tlsPort != 0 ? java.util.OptionalInt.of(tlsPort) : java.util.OptionalInt.empty();
    }

    @Override
    public void stop() {
        end(true);
    }

    @Override
    public void kill() {
        end(false);
    }

    private synchronized void end(boolean graceful) {
        if (process == null) {
            return;
        }
        Reaper.terminate(process, graceful, STOP_GRACE);
        log.info("{} Redis on {} (pid {})", graceful ? "Stopped" : "Killed", endpoint(), process.pid());
        process = null;
    }

    @Override
    public void flushAll() {
        command(ADMIN_TIMEOUT, "FLUSHALL");
    }

    @Override
    public Object command(Duration timeout, String... args) {
        return RespClient.call(endpoint(), timeout, args);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        kill();
        closed = true;
        Reaper.deleteDirectory(directory);
    }

    @Override
    public String toString() {
        return "RedisServer[" + source + " " + version + " " + endpoint() + "]";
    }

    static Map<String, String> parseInfo(String info) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * Asks {@code condition} every 50 ms until it holds, retrying when it throws a {@code retried} exception.
     *
     * @throws IllegalStateException naming {@code what}, with the last such exception, if it does not hold within
     *         {@code timeout}
     */
    static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition,
                      Class<? extends RuntimeException> retried) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                if (!retried.isInstance(e)) {
                    throw e;
                }
                last = e;
            }
            sleepQuietly(50);
        }
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what, last);
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server", e);
        }
    }
}
