package dev.nearcache.example;

import java.math.BigDecimal;

/** A product of the catalog; cached as JSON by the starter (its package is the application's, so trusted). */
public record Product(long id, String name, BigDecimal price) {
}
