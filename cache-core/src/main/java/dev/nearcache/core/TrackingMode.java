package dev.nearcache.core;

/**
 * Where Redis sends the invalidations of the cache's reads ({@link NearCacheBuilder#trackingMode}).
 *
 * <ul>
 *   <li>{@link #REDIRECT}: the data connections track with {@code CLIENT TRACKING ON REDIRECT <id>}, and one
 *       dedicated invalidation connection per node receives every invalidation, heartbeated. Works over RESP2 and
 *       RESP3 data connections. Open-source Redis 6+, Valkey.</li>
 *   <li>{@link #SAME_CONNECTION}: each data connection tracks its own reads ({@code CLIENT TRACKING ON}) over RESP3
 *       and receives their invalidations as push messages on the same socket, in order with its replies, so an
 *       invalidation can never overtake the reply of a read it concerns; each data connection is heartbeated. Needs
 *       RESP3 (Redis 6+). Required where the server refuses REDIRECT: Redis Software and Redis Cloud, Dragonfly.</li>
 *   <li>{@link #AUTO} (the default): REDIRECT when the server accepts it, else SAME_CONNECTION; decided per node when
 *       the cache connects, logged, and shown by {@link NearCacheStats#trackingMode()}.</li>
 * </ul>
 * The coherence bound is the same in both modes: once writes stop and connections are healthy, within one heartbeat
 * interval plus its timeout.
 */
public enum TrackingMode {
    /** Invalidations go to a dedicated connection ({@code REDIRECT}). */
    REDIRECT,
    /** Each data connection receives the invalidations of its own reads (RESP3). */
    SAME_CONNECTION,
    /** REDIRECT where the server accepts it, else SAME_CONNECTION. */
    AUTO
}
