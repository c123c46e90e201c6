package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code nearcache.*} meters, bound by Boot to the application's registry; imported by both starters'
 * auto-configurations (the Boot API it uses is the same on both lines).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(MeterRegistry.class)
class NearCacheMetricsConfiguration {
    @Bean
    @ConditionalOnMissingBean
    NearCacheMetrics nearCacheMetrics(NearCache<String, byte[]> nearCache, NearCacheProperties properties) {
        return nearCache.metrics(properties.getMetrics().getName())
                .percentileHistograms(properties.getMetrics().isPercentileHistograms());
    }
}
