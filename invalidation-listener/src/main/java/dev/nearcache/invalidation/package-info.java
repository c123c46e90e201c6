/**
 * The dedicated invalidation connection: the {@code CLIENT TRACKING ... REDIRECT} target that receives
 * invalidations, heartbeats, and reports loss and recovery. Filled in by the listener issue.
 */
package dev.nearcache.invalidation;
