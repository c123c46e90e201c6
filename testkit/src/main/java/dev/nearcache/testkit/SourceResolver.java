package dev.nearcache.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.model.OsArchitecture;

/**
 * Chooses where a server comes from: an explicit choice, else {@code REDIS_URL}, {@code REDIS_SERVER_BINARY},
 * {@code redis-server} on the {@code PATH}, the embedded binary, Testcontainers.
 */
final class SourceResolver {
    /** The oldest Redis with client-side tracking and RESP3. */
    private static final int MIN_MAJOR = 6;
    private static final Pattern EMBEDDED_VERSION = Pattern.compile("redis-server-(\\d+)\\.(\\d+)\\.(\\d+)");

    private static Path extractedEmbedded;

    /** A resolved source: the binary for local sources, the URL for external, the image for containers. */
    record Choice(RedisSource source, Path binary, String detail) {
    }

    private final Function<String, String> env;

    SourceResolver(Function<String, String> env) {
        this.env = env;
    }

    /**
     * @param forced       a source the caller insists on, or null
     * @param allowExternal false for clusters and servers with extra config, which must be started locally
     */
    Choice resolve(RedisSource forced, boolean allowExternal) {
        RedisSource wanted = forced != null ? forced : forcedByEnvironment();
        if (wanted != null) {
            return resolveExactly(wanted, allowExternal);
        }
        List<String> tried = new ArrayList<>();
        String url = env.apply(RedisServers.REDIS_URL);
        if (allowExternal && url != null && !url.isBlank()) {
            return new Choice(RedisSource.EXTERNAL, null, url.trim());
        }
        Path binary = binaryFromEnvironmentOrPath(tried);
        if (binary != null) {
            return new Choice(RedisSource.BINARY, binary, binary.toString());
        }
        Choice embedded = embedded(tried);
        if (embedded != null) {
            return embedded;
        }
        if (containersAvailable(tried)) {
            return new Choice(RedisSource.CONTAINER, null, image());
        }
        throw new IllegalStateException("No Redis server available for tests. Tried: " + String.join("; ", tried)
                + ". Install redis-server, set " + RedisServers.REDIS_SERVER_BINARY + " to its path, or set "
                + RedisServers.REDIS_URL + " to a running server.");
    }

    private RedisSource forcedByEnvironment() {
        String value = env.apply(RedisServers.REDIS_TESTKIT_SOURCE);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return RedisSource.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(RedisServers.REDIS_TESTKIT_SOURCE + " must be one of external, binary,"
                    + " embedded, container; it is '" + value + "'", e);
        }
    }

    private Choice resolveExactly(RedisSource wanted, boolean allowExternal) {
        List<String> tried = new ArrayList<>();
        Choice choice;
        switch (wanted) {
            case EXTERNAL: {
                if (!allowExternal) {
                    throw new IllegalStateException("an external server cannot be used here: clusters and servers"
                            + " with extra configuration are started by the test kit");
                }
                String url = env.apply(RedisServers.REDIS_URL);
                if (url == null || url.isBlank()) {
                    throw new IllegalStateException("source EXTERNAL needs " + RedisServers.REDIS_URL
                            + " set to redis://host:port");
                }
                return new Choice(RedisSource.EXTERNAL, null, url.trim());
            }
            case BINARY: {
                Path binary = binaryFromEnvironmentOrPath(tried);
                choice = binary == null ? null : new Choice(RedisSource.BINARY, binary, binary.toString());
                break;
            }
            case EMBEDDED:
                choice = embedded(tried);
                break;
            case CONTAINER:
                choice = containersAvailable(tried) ? new Choice(RedisSource.CONTAINER, null, image()) : null;
                break;
            default:
                throw new AssertionError(wanted);
        }
        if (choice == null) {
            throw new IllegalStateException("Redis source " + wanted + " was asked for but is not available: "
                    + String.join("; ", tried));
        }
        return choice;
    }

    private Path binaryFromEnvironmentOrPath(List<String> tried) {
        String configured = env.apply(RedisServers.REDIS_SERVER_BINARY);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured.trim());
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new IllegalArgumentException(RedisServers.REDIS_SERVER_BINARY
                        + " must be the path of an executable redis-server file; '" + configured + "' is not");
            }
            return path;
        }
        String pathVariable = env.apply("PATH");
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        tried.add(RedisServers.REDIS_SERVER_BINARY + " is not set and no redis-server is on the PATH");
        return null;
    }

    private static Choice embedded(List<String> tried) {
        String resource;
        try {
            resource = ExecutableProvider.newProvidedVersionsMap().get(OsArchitecture.detectOSandArchitecture());
        } catch (RuntimeException e) {
            tried.add("embedded-redis has no binary for this platform (" + e + ")");
            return null;
        }
        if (resource == null) {
            tried.add("embedded-redis has no binary for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch"));
            return null;
        }
        Matcher m = EMBEDDED_VERSION.matcher(resource);
        if (m.find() && Integer.parseInt(m.group(1)) < MIN_MAJOR) {
            tried.add("embedded-redis only has " + resource.substring(1) + " here, older than Redis " + MIN_MAJOR);
            return null;
        }
        return new Choice(RedisSource.EMBEDDED, extract(resource), resource.substring(1));
    }

    /** Copies the bundled binary out of the jar once per JVM; the reaper deletes it at exit. */
    private static synchronized Path extract(String resource) {
        if (extractedEmbedded != null && Files.isExecutable(extractedEmbedded)) {
            return extractedEmbedded;
        }
        try (InputStream in = ExecutableProvider.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("embedded-redis jar lacks " + resource);
            }
            Path dir = Files.createTempDirectory("nearcache-redis-bin-");
            Reaper.register(dir);
            Path target = dir.resolve(resource.substring(1));
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            if (!target.toFile().setExecutable(true, true)) {
                throw new IllegalStateException("could not make " + target + " executable");
            }
            extractedEmbedded = target;
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract the embedded redis-server", e);
        }
    }

    private static boolean containersAvailable(List<String> tried) {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, SourceResolver.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            tried.add("Testcontainers is not on the class path");
            return false;
        }
        if (!ContainerRedisServer.dockerAnswers()) {
            tried.add("no Docker engine answers");
            return false;
        }
        return true;
    }

    private String image() {
        String image = env.apply(RedisServers.REDIS_TESTKIT_IMAGE);
        return image == null || image.isBlank() ? "redis:7.4" : image.trim();
    }
}
