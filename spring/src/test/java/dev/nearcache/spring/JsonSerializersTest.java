package dev.nearcache.spring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.cache.support.NullValue;

/**
 * The Jackson 3 serializer (Boot 4) and the Jackson 2 one (Boot 3.5) write the same JSON and read each other's, so a
 * service moving between Boot lines keeps what Redis holds; both keep the trusted-package and read-back rules.
 */
class JsonSerializersTest {
    private static final ClassLoader LOADER = JsonSerializersTest.class.getClassLoader();
    private static final List<String> TRUSTED = List.of("dev.nearcache.spring");

    private final CacheValueSerializer jackson3 = new JsonCacheValueSerializer(
            tools.jackson.databind.json.JsonMapper.builder().build(), TRUSTED, LOADER);
    private final CacheValueSerializer jackson2 = new Jackson2JsonCacheValueSerializer(
            com.fasterxml.jackson.databind.json.JsonMapper.builder().findAndAddModules().build(), TRUSTED, LOADER);

    enum Colour { RED, BLUE }

    record Product(long id, String name, BigDecimal price, Colour colour, List<String> tags) {
    }

    record Holder(Object anything, Product[] products) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Holder h && anything.equals(h.anything)
                    && java.util.Arrays.equals(products, h.products);
        }

        @Override
        public int hashCode() {
            return anything.hashCode();
        }
    }

    record Dated(LocalDate day, Instant at, Duration took, Optional<Product> product, Optional<String> none) {
    }

    record Hidden(String shown, @JsonIgnore String hidden) {
    }

    static Stream<Object> values() {
        Product p = new Product(7, "seven", new BigDecimal("12.50"), Colour.RED, List.of("a", "b"));
        Map<String, List<Product>> map = new LinkedHashMap<>();
        map.put("x", new ArrayList<>(List.of(p, new Product(8, "eight", BigDecimal.ONE, Colour.BLUE, List.of()))));
        return Stream.of("text", 42L, 4.5d, new BigDecimal("12.50"), p, new ArrayList<>(List.of(p)), map,
                Colour.BLUE, new Holder(p, new Product[] {p}), new int[] {1, 2}, List.of(1, 2, 3),
                new Dated(LocalDate.of(2026, 12, 3), Instant.parse("2026-12-03T17:45:01.123Z"), Duration.ofMillis(1500),
                        Optional.of(p), Optional.empty()));
    }

    @ParameterizedTest
    @MethodSource("values")
    void bothWriteTheSameJsonAndReadEachOthers(Object value) {
        byte[] fromJackson3 = jackson3.serialize(value);
        byte[] fromJackson2 = jackson2.serialize(value);
        assertEquals(new String(fromJackson3, StandardCharsets.UTF_8),
                new String(fromJackson2, StandardCharsets.UTF_8));
        Object back2 = jackson2.deserialize(fromJackson3);
        Object back3 = jackson3.deserialize(fromJackson2);
        if (value instanceof int[] ints) {
            assertArrayEquals(ints, (int[]) back2);
            assertArrayEquals(ints, (int[]) back3);
        } else {
            assertEquals(value, back2);
            assertEquals(value, back3);
        }
    }

    @Test
    void aCachedNullIsNullValueInBoth() {
        assertSame(NullValue.INSTANCE, jackson2.deserialize(jackson3.serialize(NullValue.INSTANCE)));
        assertSame(NullValue.INSTANCE, jackson3.deserialize(jackson2.serialize(null)));
    }

    @Test
    void bothRefuseClassesOutsideTheTrustedPackages() {
        byte[] foreign = "{\"@type\":\"org.example.Gadget\",\"value\":{}}".getBytes(StandardCharsets.UTF_8);
        for (CacheValueSerializer s : List.of(jackson2, jackson3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.deserialize(foreign));
            assertTrue(e.getMessage().contains("org.example.Gadget") && e.getMessage().contains("not trusted"),
                    e.getMessage());
        }
    }

    @Test
    void bothRefuseAtWriteAValueThatWouldNotReadBackAsItself() {
        for (CacheValueSerializer s : List.of(jackson2, jackson3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.serialize(new Hidden("a", "b")));
            assertTrue(e.getMessage().contains(Hidden.class.getName()) && e.getMessage().contains("as itself"),
                    e.getMessage());
        }
    }

    @Test
    void bothRefuseBytesTheyDidNotWrite() {
        byte[] plain = "{\"id\":1}".getBytes(StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> jackson2.deserialize(plain));
        assertThrows(IllegalArgumentException.class, () -> jackson3.deserialize(plain));
    }
}
