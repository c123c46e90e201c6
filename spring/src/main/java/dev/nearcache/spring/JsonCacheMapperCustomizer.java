package dev.nearcache.spring;

import tools.jackson.databind.json.JsonMapper;

/**
 * Customizes the starter's own Jackson mapper for cached values (not the web layer's): a bean of this type gets the
 * builder before {@link JsonCacheValueSerializer} is made from it, e.g. to add a module for the application's types.
 * The mapper starts as {@code JsonMapper.builder().findAndAddModules()}; the serializer then adds its typing (which a
 * customizer cannot turn off). Beans are applied in their {@code @Order}.
 */
@FunctionalInterface
public interface JsonCacheMapperCustomizer {
    /** Adjusts {@code builder}; called once, at start-up. */
    void customize(JsonMapper.Builder builder);
}
