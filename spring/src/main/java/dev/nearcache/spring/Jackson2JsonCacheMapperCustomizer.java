package dev.nearcache.spring;

import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * {@link JsonCacheMapperCustomizer} for Jackson 2 (Spring Boot 3.5): a bean of this type gets the builder of the
 * starter's own mapper for cached values (not the web layer's) before {@link Jackson2JsonCacheValueSerializer} is made
 * from it, e.g. to add a module for the application's types. The mapper starts as
 * {@code JsonMapper.builder().findAndAddModules()}; the serializer then adds its typing (which a customizer cannot
 * turn off). Beans are applied in their {@code @Order}.
 */
@FunctionalInterface
public interface Jackson2JsonCacheMapperCustomizer {
    /** Adjusts {@code builder}; called once, at start-up. */
    void customize(JsonMapper.Builder builder);
}
