/* clock.h — the one clock sluice's timestamps use: CLOCK_MONOTONIC in nanoseconds.
 *
 * Rule creation and last-use times, timeouts, durations and the control loop's timers all
 * compare against each other, so they must come from the same clock. The PMD uses the
 * coarse variant (same epoch, a few ms of resolution, cheaper) once per burst. Both are
 * vDSO calls: no system call. */
#ifndef SLUICE_DATAPATH_CLOCK_H
#define SLUICE_DATAPATH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t dp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t dp_now_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
