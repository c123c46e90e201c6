/**
 * What a near cache plugs into the batching loader: a {@link dev.nearcache.loader.spi.BatchObserver} that sees every
 * MGET before it is written and when it is answered, a {@link dev.nearcache.loader.spi.DataConnectionListener} told
 * when a data connection comes and goes, and the {@link dev.nearcache.loader.spi.DataConnection} they are handed.
 * Callers of the loader need none of it.
 */
package dev.nearcache.loader.spi;
