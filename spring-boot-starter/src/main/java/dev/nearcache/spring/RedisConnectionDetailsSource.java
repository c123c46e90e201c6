package dev.nearcache.spring;

import dev.nearcache.core.NearCacheBuilder;
import dev.nearcache.core.NearCacheConfigurationException;
import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails.Node;
import org.springframework.boot.ssl.SslBundle;

/**
 * The connection from the application's {@link DataRedisConnectionDetails} bean (what Testcontainers'
 * {@code @ServiceConnection} and Boot's Docker Compose support register), ahead of {@code spring.data.redis.*} as in
 * Boot. Boot's own bean made from those properties is left to {@link NearCacheFactory}, which reads the properties
 * with the same meaning and names them in its errors. Loaded only when {@code spring-boot-data-redis} is present.
 */
final class RedisConnectionDetailsSource {
    private static final String FROM_PROPERTIES = "PropertiesDataRedisConnectionDetails";

    private RedisConnectionDetailsSource() {
    }

    /** The details bean's SSL bundle, if it is the application's and has one. */
    static SslBundle sslBundle(BeanFactory beans) {
        DataRedisConnectionDetails details = beans.getBeanProvider(DataRedisConnectionDetails.class).getIfUnique();
        return details == null ? null : details.getSslBundle();
    }

    /** Whether the connection came from a details bean (else the caller reads the properties). */
    static boolean apply(BeanFactory beans, NearCacheBuilder<String, byte[]> b, boolean ssl) {
        DataRedisConnectionDetails details = beans.getBeanProvider(DataRedisConnectionDetails.class).getIfUnique();
        if (details == null || details.getClass().getSimpleName().equals(FROM_PROPERTIES)) {
            return false;
        }
        boolean tls = ssl || details.getSslBundle() != null;
        String what = "the DataRedisConnectionDetails bean (" + details.getClass().getName() + ")";
        if (details.getSentinel() != null) {
            DataRedisConnectionDetails.Sentinel sentinel = details.getSentinel();
            if (sentinel.getNodes() == null || sentinel.getNodes().isEmpty()) {
                throw new NearCacheConfigurationException(what + " names a Sentinel master without sentinels");
            }
            RedisURI.Builder uri = RedisURI.builder().withSentinelMasterId(sentinel.getMaster());
            for (Node node : sentinel.getNodes()) {
                RedisURI.Builder sentinelNode = RedisURI.builder().withHost(node.host()).withPort(node.port())
                        .withSsl(tls);
                NearCacheFactory.credentials(sentinelNode, sentinel.getUsername(), sentinel.getPassword());
                uri.withSentinel(sentinelNode.build());
            }
            uri.withDatabase(sentinel.getDatabase()).withSsl(tls);
            NearCacheFactory.credentials(uri, details.getUsername(), details.getPassword());
            b.redisUri(uri.build());
        } else if (details.getCluster() != null) {
            List<RedisURI> uris = new ArrayList<>();
            for (Node node : details.getCluster().getNodes()) {
                RedisURI.Builder uri = RedisURI.builder().withHost(node.host()).withPort(node.port()).withSsl(tls);
                NearCacheFactory.credentials(uri, details.getUsername(), details.getPassword());
                uris.add(uri.build());
            }
            if (uris.isEmpty()) {
                throw new NearCacheConfigurationException(what + " names a cluster without nodes");
            }
            b.redisUris(uris).cluster(true);
        } else if (details.getStandalone() != null) {
            DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
            RedisURI.Builder uri = RedisURI.builder().withHost(standalone.getHost()).withPort(standalone.getPort())
                    .withDatabase(standalone.getDatabase()).withSsl(tls);
            NearCacheFactory.credentials(uri, details.getUsername(), details.getPassword());
            b.redisUri(uri.build());
        } else {
            throw new NearCacheConfigurationException(what + " names no server: neither standalone, Sentinel nor"
                    + " cluster");
        }
        return true;
    }
}
