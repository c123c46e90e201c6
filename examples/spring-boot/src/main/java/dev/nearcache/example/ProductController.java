package dev.nearcache.example;

import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP over the repository. */
@RestController
public class ProductController {
    private final ProductRepository repository;

    public ProductController(ProductRepository repository) {
        this.repository = repository;
    }

    @GetMapping("/products/{id}")
    public Product get(@PathVariable("id") long id) {
        return repository.find(id);
    }

    @PutMapping("/products/{id}")
    public ResponseEntity<Product> put(@PathVariable("id") long id, @RequestBody Product product) {
        if (product.id() != id) {
            return ResponseEntity.badRequest().build();
        }
        return ResponseEntity.ok(repository.save(product));
    }

    @GetMapping("/lookups")
    public Map<String, Long> lookups() {
        return Map.of("lookups", repository.lookups());
    }
}
