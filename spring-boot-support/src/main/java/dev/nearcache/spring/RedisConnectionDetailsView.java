package dev.nearcache.spring;

import dev.nearcache.core.NearCacheBuilder;
import dev.nearcache.core.NearCacheConfigurationException;
import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.ssl.SslBundle;

/**
 * What the application's Redis connection-details bean says (Boot 3.5's {@code RedisConnectionDetails}, Boot 4's
 * {@code DataRedisConnectionDetails}: what Testcontainers' {@code @ServiceConnection} and Boot's Docker Compose
 * support register), copied by each starter's {@code RedisConnectionDetailsSource} into this one form, so that one
 * mapping turns either into the cache's connection. Exactly one of {@code sentinel}, {@code clusterNodes} and
 * {@code standalone} is used, in that order, as Boot does.
 *
 * @param source       the bean's type and class, named in errors, e.g. {@code RedisConnectionDetails bean
 *                     (com.example.OurDetails)}
 * @param clusterNodes null when the bean names no cluster
 * @param sslBundle    null when the bean has none
 */
record RedisConnectionDetailsView(String source, String username, String password, Standalone standalone,
                                  Sentinel sentinel, List<Node> clusterNodes, SslBundle sslBundle) {

    record Node(String host, int port) {
    }

    record Standalone(String host, int port, int database) {
    }

    record Sentinel(String master, List<Node> nodes, String username, String password, int database) {
        /** Everything but the password. */
        @Override
        public String toString() {
            return "Sentinel[master=" + master + ", nodes=" + nodes + ", database=" + database + "]";
        }
    }

    /** Sets the builder's Redis URI(s) from the bean; TLS when {@code ssl} (spring.data.redis.ssl.*) or a bundle. */
    void applyTo(NearCacheBuilder<String, byte[]> b, boolean ssl) {
        boolean tls = ssl || sslBundle != null;
        String what = "the " + source;
        if (sentinel != null) {
            if (sentinel.nodes() == null || sentinel.nodes().isEmpty()) {
                throw new NearCacheConfigurationException(what + " names a Sentinel master without sentinels");
            }
            RedisURI.Builder uri = RedisURI.builder().withSentinelMasterId(sentinel.master());
            for (Node node : sentinel.nodes()) {
                RedisURI.Builder sentinelNode = RedisURI.builder().withHost(node.host()).withPort(node.port())
                        .withSsl(tls);
                NearCacheFactory.credentials(sentinelNode, sentinel.username(), sentinel.password());
                uri.withSentinel(sentinelNode.build());
            }
            uri.withDatabase(sentinel.database()).withSsl(tls);
            NearCacheFactory.credentials(uri, username, password);
            b.redisUri(uri.build());
        } else if (clusterNodes != null) {
            List<RedisURI> uris = new ArrayList<>();
            for (Node node : clusterNodes) {
                RedisURI.Builder uri = RedisURI.builder().withHost(node.host()).withPort(node.port()).withSsl(tls);
                NearCacheFactory.credentials(uri, username, password);
                uris.add(uri.build());
            }
            if (uris.isEmpty()) {
                throw new NearCacheConfigurationException(what + " names a cluster without nodes");
            }
            b.redisUris(uris).cluster(true);
        } else if (standalone != null) {
            RedisURI.Builder uri = RedisURI.builder().withHost(standalone.host()).withPort(standalone.port())
                    .withDatabase(standalone.database()).withSsl(tls);
            NearCacheFactory.credentials(uri, username, password);
            b.redisUri(uri.build());
        } else {
            throw new NearCacheConfigurationException(what + " names no server: neither standalone, Sentinel nor"
                    + " cluster");
        }
    }

    /** Everything but the passwords: a record's own would print them. */
    @Override
    public String toString() {
        return "RedisConnectionDetailsView[" + source + "]";
    }
}
