package dev.nearcache.spring;

import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.util.ClassUtils;

/**
 * Boot 4's {@link DataRedisConnectionDetails} bean (what Testcontainers' {@code @ServiceConnection} and Boot's Docker
 * Compose support register), read into the {@link RedisConnectionDetailsView} that {@link NearCacheFactory} maps,
 * ahead of {@code spring.data.redis.*} as in Boot. Boot's own bean made from those properties is left to the factory,
 * which reads the properties with the same meaning and names them in its errors.
 */
final class RedisConnectionDetailsSource {
    private static final String DETAILS = "org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails";
    private static final String FROM_PROPERTIES = "PropertiesDataRedisConnectionDetails";

    private RedisConnectionDetailsSource() {
    }

    /** The application's own details bean, or null (none, Boot's from the properties, or no spring-boot-data-redis). */
    static RedisConnectionDetailsView view(BeanFactory beans) {
        return ClassUtils.isPresent(DETAILS, RedisConnectionDetailsSource.class.getClassLoader()) ? Present.view(beans)
                : null;
    }

    /** Loaded only when spring-boot-data-redis is present. */
    private static final class Present {
        static RedisConnectionDetailsView view(BeanFactory beans) {
            DataRedisConnectionDetails details = beans.getBeanProvider(DataRedisConnectionDetails.class).getIfUnique();
            if (details == null || details.getClass().getSimpleName().equals(FROM_PROPERTIES)) {
                return null;
            }
            DataRedisConnectionDetails.Sentinel sentinel = details.getSentinel();
            DataRedisConnectionDetails.Cluster cluster = details.getCluster();
            DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
            return new RedisConnectionDetailsView("DataRedisConnectionDetails bean (" + details.getClass().getName()
                    + ")", details.getUsername(), details.getPassword(),
                    standalone == null ? null : new RedisConnectionDetailsView.Standalone(standalone.getHost(),
                            standalone.getPort(), standalone.getDatabase()),
                    sentinel == null ? null : new RedisConnectionDetailsView.Sentinel(sentinel.getMaster(),
                            nodes(sentinel.getNodes()), sentinel.getUsername(), sentinel.getPassword(),
                            sentinel.getDatabase()),
                    cluster == null ? null : nodes(cluster.getNodes()), details.getSslBundle());
        }

        private static List<RedisConnectionDetailsView.Node> nodes(List<DataRedisConnectionDetails.Node> nodes) {
            return nodes == null ? List.of() : nodes.stream()
                    .map(n -> new RedisConnectionDetailsView.Node(n.host(), n.port())).toList();
        }
    }
}
