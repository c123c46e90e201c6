package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The miss path's cost to Redis per key does not grow with the batch, with tracking on, in every tracking mode and on
 * a cluster. Before Redis 7.2 a tracking client's script remembered every declared key again for each
 * {@code redis.call}: the TTL script over N declared keys cost N&sup2; (512 keys: about 11 ms on 7.0 and 6.2, during
 * which Redis serves no one). The script now declares one key (see {@code BatchingLoader.PTTL_SCRIPT}); this test
 * fails with the old script (every 512-key batch over 1 ms, about 20 times the 16-key cost per key).
 *
 * <p>Cost is Redis's own, per key read, comparing batches of 16 keys with batches of 512 (all on one slot, so a
 * cluster node gets whole batches). The ratio is taken on the main thread's CPU time ({@code INFO cpu}), not on
 * {@code INFO commandstats}, which times each command by the wall clock and so counts the time a busy 2-core CI
 * machine deschedules Redis mid-command; both are logged. No command of the 512-key batches may be in
 * {@code SLOWLOG} over 1 ms; a round that logged one is measured again, up to five rounds, for the same reason.
 */
class ServerTtlCostIT {
    private static final Logger log = LoggerFactory.getLogger(ServerTtlCostIT.class);
    private static final int BIG = 512;
    private static final int SMALL = 16;
    private static final int BIG_BATCHES = 8;
    private static final int ROUNDS = 5;
    /** One hash tag: every key on one slot, so a cluster batch is one MGET on one node. */
    private static final String PREFIX = "{cost}:";

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final RedisExtension cluster = RedisExtension.cluster(3, 0);

    enum Mode {
        REDIRECT(b -> b.trackingMode(TrackingMode.REDIRECT)),
        SAME_CONNECTION(b -> b.trackingMode(TrackingMode.SAME_CONNECTION)),
        OPTIN_PREFIXES(b -> b.cachedPrefixes(PREFIX)),
        BCAST(b -> b.broadcast(true).cachedPrefixes(PREFIX));

        final UnaryOperator<NearCacheBuilder<String, String>> settings;

        Mode(UnaryOperator<NearCacheBuilder<String, String>> settings) {
            this.settings = settings;
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void standalone(Mode mode) {
        try (Admin admin = new Admin(redis.server().uri())) {
            measure(mode + " standalone", admin, () -> mode.settings.apply(NearCache.<String, String>builder()
                    .redisUri(redis.server().uri())));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cluster(Mode mode) {
        ClusterNode owner = cluster.cluster().ownerOf(SlotHash.getSlot(PREFIX));
        try (Admin admin = new Admin(owner.uri())) {
            measure(mode + " cluster", admin, () -> mode.settings.apply(NearCache.<String, String>builder()
                    .redisUris(cluster.cluster().seedUris().toArray(new String[0])).cluster(true)));
        }
    }

    private static void measure(String what, Admin admin, java.util.function.Supplier<NearCacheBuilder<String,
            String>> builder) {
        RedisCommands<String, String> sync = admin.sync;
        Round round = null;
        try {
            for (int i = 0; i < ROUNDS && (round == null || round.slow != 0); i++) {
                sync.flushall();
                preload(sync);
                try (NearCache<String, String> cache = builder.get().batchSize(BIG).verifyRate(0).build()) {
                    round = round(sync, cache);
                }
                log.info("{}: Redis CPU µs per key {} (16-key batches), {} (512-key batches); commandstats µs per "
                        + "key {} and {}; {} slow commands", what, f(round.smallCpu), f(round.bigCpu),
                        f(round.smallStats), f(round.bigStats), round.slow);
            }
        } finally {
            sync.configSet("slowlog-log-slower-than", "10000");
        }
        assertTrue(round.bigCpu <= 1.5 * round.smallCpu, what + ": Redis spent " + f(round.bigCpu)
                + " µs of CPU per key on 512-key batches and " + f(round.smallCpu) + " µs on 16-key batches: the "
                + "miss path's cost grows with the batch");
        assertEquals(0, round.slow, what + ": a command of a 512-key batch took Redis over 1 ms in each of "
                + ROUNDS + " rounds");
    }

    private record Round(double smallCpu, double bigCpu, double smallStats, double bigStats, long slow) {
    }

    private static Round round(RedisCommands<String, String> admin, NearCache<String, String> cache) {
        int next = 0;
        cache.getAll(List.of(PREFIX + "warm")); // connects and turns tracking on before anything is measured
        int smallBatches = BIG * BIG_BATCHES / SMALL;
        admin.configResetstat();
        long cpu = cpuMicros(admin);
        for (int i = 0; i < smallBatches; i++) {
            assertEquals(SMALL, cache.getAll(keys(next, SMALL)).size());
            next += SMALL;
        }
        double smallCpu = (double) (cpuMicros(admin) - cpu) / (SMALL * smallBatches);
        double smallStats = commandUsec(admin) / (SMALL * smallBatches);
        admin.configSet("slowlog-log-slower-than", "1000");
        admin.slowlogReset();
        admin.configResetstat();
        cpu = cpuMicros(admin);
        for (int i = 0; i < BIG_BATCHES; i++) {
            assertEquals(BIG, cache.getAll(keys(next, BIG)).size());
            next += BIG;
        }
        double bigCpu = (double) (cpuMicros(admin) - cpu) / (BIG * BIG_BATCHES);
        double bigStats = commandUsec(admin) / (BIG * BIG_BATCHES);
        long slow = admin.slowlogLen();
        long mgets = field(admin.info("commandstats"), "cmdstat_mget:", "calls=");
        assertTrue(mgets <= 2L * BIG_BATCHES, "the 512-key reads went out in " + mgets
                + " MGETs, not in batches of about 512 keys: this test would not measure what it claims");
        return new Round(smallCpu, bigCpu, smallStats, bigStats, slow);
    }

    /** Values with a TTL, as production keys have: the TTL read is part of every batch. */
    private static void preload(RedisCommands<String, String> admin) {
        for (int from = 0; from < 3 * BIG * BIG_BATCHES; from += 1000) {
            admin.eval("for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('SET', KEYS[1] .. i, 'v', 'EX', "
                    + "3600) end return 1", ScriptOutputType.INTEGER, new String[] {PREFIX},
                    Integer.toString(from), Integer.toString(from + 999));
        }
    }

    private static List<String> keys(int from, int count) {
        List<String> keys = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            keys.add(PREFIX + i);
        }
        return keys;
    }

    /** Redis's main thread CPU time, user and system, in µs: descheduling does not count, unlike wall time. */
    private static long cpuMicros(RedisCommands<String, String> admin) {
        String info = admin.info("cpu");
        return Math.round((seconds(info, "used_cpu_user_main_thread:") + seconds(info, "used_cpu_sys_main_thread:"))
                * 1e6);
    }

    private static double seconds(String info, String name) {
        int at = info.indexOf(name);
        if (at < 0) {
            throw new AssertionError("INFO cpu has no " + name + " (Redis 6.2 or later reports it): " + info);
        }
        int end = info.indexOf('\n', at);
        return Double.parseDouble(info.substring(at + name.length(), end < 0 ? info.length() : end).trim());
    }

    /** Redis's time in MGET and EVAL since the last CONFIG RESETSTAT, by the wall clock. */
    private static double commandUsec(RedisCommands<String, String> admin) {
        String stats = admin.info("commandstats");
        return field(stats, "cmdstat_mget:", "usec=") + field(stats, "cmdstat_eval:", "usec=");
    }

    private static long field(String info, String line, String name) {
        int start = info.indexOf(line);
        if (start < 0) {
            return 0;
        }
        int at = info.indexOf(name, start) + name.length();
        int end = info.indexOf(',', at);
        return Long.parseLong(info.substring(at, end).trim());
    }

    private static String f(double value) {
        return String.format("%.2f", value);
    }

    /** A plain connection to the node that holds the test's keys. */
    private static final class Admin implements AutoCloseable {
        final RedisClient client;
        final StatefulRedisConnection<String, String> connection;
        final RedisCommands<String, String> sync;

        Admin(String uri) {
            client = RedisClient.create(uri);
            connection = client.connect();
            sync = connection.sync();
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
