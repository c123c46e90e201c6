/**
 * MGET auto-batching: concurrent misses from all threads coalesce into one MGET per round trip, one batch in
 * flight per data connection, with single flight per key. Filled in by the loader issue.
 */
package dev.nearcache.loader;
