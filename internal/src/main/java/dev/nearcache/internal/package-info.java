/**
 * Not API: helpers that the batching loader, the invalidation listener and the core share, kept in one place instead
 * of copied into each. Public only because Java has no narrower visibility across modules; anything here may change
 * or go without notice. Applications use {@code dev.nearcache.core}.
 */
package dev.nearcache.internal;
