package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ScriptOutputType;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cache.CacheManager;

/**
 * {@code @CacheEvict(allEntries = true)} among a million other keys: {@code clear()} deletes the cache's own keys and
 * no other, and what it costs Redis is many short SCANs (each of at most 1,000 keys' worth of the keyspace), never
 * one long command. One line gives the figures (SCAN's {@code calls} and {@code usec} from {@code INFO commandstats}).
 */
class CacheClearCostIT extends StandaloneRedisTests {
    private static final Logger log = LoggerFactory.getLogger(CacheClearCostIT.class);
    private static final int OTHER_KEYS = 1_000_000;

    @Test
    void clearDeletesOnlyItsOwnKeysAmongAMillionOthersInShortScans() {
        for (int done = 0; done < OTHER_KEYS; done += 100_000) { // 10 scripts: quicker than a million SETs
            direct.sync().eval("for i = ARGV[1], ARGV[1] + 99999 do redis.call('SET', 'other:' .. i, 'x') end",
                    ScriptOutputType.STATUS, new String[0], String.valueOf(done).getBytes());
        }
        starter(redis.server().uri()).withPropertyValues("nearcache.key-prefix=app1:").run(context -> {
            assertThat(context).hasNotFailed();
            Cache products = context.getBean(CacheManager.class).getCache("products");
            for (int id = 0; id < 100; id++) {
                products.put(id, "product " + id);
            }
            direct.sync().set("app1:products2::1", "another cache's".getBytes()); // a longer name, same start
            direct.sync().set("app2:products::1", "another application's".getBytes());
            direct.sync().configResetstat();

            products.clear();

            Map<String, String> scan = commandStats("scan");
            assertEquals(0, direct.sync().keys("app1:products::*").size(), "the cache's own keys are gone");
            assertNull(products.get(1), "and gone locally");
            assertEquals(OTHER_KEYS + 2, direct.sync().dbsize(), "every other key is left");
            long calls = Long.parseLong(scan.get("calls"));
            // SCAN ... COUNT 1000 visits about 1,000 slots of the hash table (2^20 for a million keys) per call
            assertTrue(calls >= OTHER_KEYS / 1000 && calls <= 2 * OTHER_KEYS / 1000, scan.toString());
            log.info("clear() of 100 keys among {} others: {} SCAN calls, {} µs of Redis time in all, {} µs each",
                    OTHER_KEYS, scan.get("calls"), scan.get("usec"), scan.get("usec_per_call"));
        });
    }

    /** {@code cmdstat_<command>}'s fields: calls, usec, usec_per_call, ... */
    private static Map<String, String> commandStats(String command) {
        String line = direct.sync().info("commandstats").lines()
                .filter(l -> l.startsWith("cmdstat_" + command + ":")).findFirst().orElseThrow();
        return java.util.Arrays.stream(line.substring(line.indexOf(':') + 1).split(","))
                .map(field -> field.split("=", 2)).collect(Collectors.toMap(f -> f[0], f -> f[1]));
    }
}
