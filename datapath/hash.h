/* hash.h — the 64-bit mixing steps every datapath hash shares (MurmurHash3's).
 *
 * Classifier subtables, the exact-match cache, the flow-key hash and the MAC table all hash
 * 64-bit words and take bucket indexes from the low bits, so every input bit must reach them:
 * hash_step() folds one word in, hash_fmix64() is the finalizer (full avalanche).
 * Pure functions: any thread, no state.
 */
#ifndef SLUICE_DATAPATH_HASH_H
#define SLUICE_DATAPATH_HASH_H

#include <stdint.h>

static inline uint64_t hash_rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/* MurmurHash3's finalizer: every input bit reaches every output bit. */
static inline uint64_t hash_fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* MurmurHash3's 64-bit block step: folds word `w` into running hash `h`. */
static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
    w = hash_rotl64(w * 0x87c37b91114253d5ull, 31) * 0x4cf5ad432745937full;
    h ^= w;
    return hash_rotl64(h, 27) * 5 + 0x52dce729;
}

/* The start value for a hash of `n` words (or any other basis). */
static inline uint64_t hash_start(uint64_t basis)
{
    return 0x9e3779b97f4a7c15ull ^ basis;
}

#endif
