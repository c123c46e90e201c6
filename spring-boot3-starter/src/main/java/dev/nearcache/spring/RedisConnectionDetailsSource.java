package dev.nearcache.spring;

import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.data.redis.RedisConnectionDetails;
import org.springframework.boot.ssl.SslBundle;

/**
 * Boot 3.5's {@link RedisConnectionDetails} bean (what Testcontainers' {@code @ServiceConnection} and Boot's Docker
 * Compose support register), read into the {@link RedisConnectionDetailsView} that {@link NearCacheFactory} maps,
 * ahead of {@code spring.data.redis.*} as in Boot. Boot's own bean made from those properties is left to the factory,
 * which reads the properties with the same meaning and names them in its errors. Boot 3.5 keeps an SSL bundle on the
 * standalone, Sentinel or cluster part; the one of the part used is taken.
 */
final class RedisConnectionDetailsSource {
    private static final String FROM_PROPERTIES = "PropertiesRedisConnectionDetails";

    private RedisConnectionDetailsSource() {
    }

    /** The application's own details bean, or null (none, or Boot's from the properties). */
    static RedisConnectionDetailsView view(BeanFactory beans) {
        RedisConnectionDetails details = beans.getBeanProvider(RedisConnectionDetails.class).getIfUnique();
        if (details == null || details.getClass().getSimpleName().equals(FROM_PROPERTIES)) {
            return null;
        }
        RedisConnectionDetails.Sentinel sentinel = details.getSentinel();
        RedisConnectionDetails.Cluster cluster = details.getCluster();
        RedisConnectionDetails.Standalone standalone = details.getStandalone();
        SslBundle bundle = sentinel != null ? sentinel.getSslBundle() : cluster != null ? cluster.getSslBundle()
                : standalone != null ? standalone.getSslBundle() : null;
        return new RedisConnectionDetailsView("RedisConnectionDetails bean (" + details.getClass().getName() + ")",
                details.getUsername(), details.getPassword(),
                standalone == null ? null : new RedisConnectionDetailsView.Standalone(standalone.getHost(),
                        standalone.getPort(), standalone.getDatabase()),
                sentinel == null ? null : new RedisConnectionDetailsView.Sentinel(sentinel.getMaster(),
                        nodes(sentinel.getNodes()), sentinel.getUsername(), sentinel.getPassword(),
                        sentinel.getDatabase()),
                cluster == null ? null : nodes(cluster.getNodes()), bundle);
    }

    private static List<RedisConnectionDetailsView.Node> nodes(List<RedisConnectionDetails.Node> nodes) {
        return nodes == null ? List.of() : nodes.stream()
                .map(n -> new RedisConnectionDetailsView.Node(n.host(), n.port())).toList();
    }
}
