package dev.nearcache.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nearcache.core.NearCacheBuilder;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every setting of the core's builder can be made from Boot: a {@code nearcache.*} property of the same name. */
class NearCachePropertiesTest {

    @Test
    void everyBuilderSettingHasItsProperty() throws Exception {
        // from spring.data.redis.* (or nearcache.tls.*), or objects that come as beans, not as text
        Set<String> elsewhere = Set.of("redisUri", "redisUris", "cluster", "tlsCaFile", "tlsClientCertificate",
                "tlsVerifyPeer", "tlsManagers", "codec", "metrics", "clientResources", "environment");
        List<String> properties = Arrays.stream(Introspector.getBeanInfo(NearCacheProperties.class)
                .getPropertyDescriptors()).filter(p -> p.getWriteMethod() != null).map(PropertyDescriptor::getName)
                .toList();
        List<String> missing = new ArrayList<>();
        for (Method m : NearCacheBuilder.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && m.getReturnType() == NearCacheBuilder.class
                    && !elsewhere.contains(m.getName()) && !properties.contains(m.getName())) {
                missing.add("nearcache." + m.getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase());
            }
        }
        assertEquals(List.of(), missing, "builder settings without their nearcache.* property");
    }
}
