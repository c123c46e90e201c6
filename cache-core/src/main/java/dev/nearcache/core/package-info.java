/**
 * The near cache users call: Caffeine over the batching loader and the invalidation listener, keeping the
 * coherence rules of the design notes. Filled in by the facade issue.
 */
package dev.nearcache.core;
