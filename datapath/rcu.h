/* rcu.h — grace periods between the control thread and the PMD threads.
 *
 * Readers (PMDs) hold pointers to published, immutable objects (rule snapshots, port maps,
 * poll lists) only between two quiescent states. A PMD announces one at the top of every
 * loop iteration (dp_rcu_quiescent()), and goes offline while it sleeps (dp_rcu_offline()),
 * so a grace period lasts at most one iteration of the slowest awake PMD.
 *
 * The writer (control thread) publishes a new object with an atomic store, then calls
 * dp_rcu_synchronize() before freeing the old one. Built on DPDK's rte_rcu_qsbr.
 *
 * When dp_rcu_init() was never called (unit tests without PMDs), dp_rcu_synchronize() is a
 * no-op: with no readers, nothing can hold an old pointer.
 */
#ifndef SLUICE_DATAPATH_RCU_H
#define SLUICE_DATAPATH_RCU_H

#include <stdint.h>

/* Creates the QSBR variable for up to `max_readers` reader threads (ids 0..max-1).
 * Returns 0 or a negative errno. Control thread, before any reader starts. */
int dp_rcu_init(unsigned max_readers);
void dp_rcu_fini(void);

/* Reader side: register once, then report quiescent states; offline while sleeping. */
void dp_rcu_register(unsigned reader_id);
void dp_rcu_unregister(unsigned reader_id);
void dp_rcu_quiescent(unsigned reader_id);
void dp_rcu_offline(unsigned reader_id);
void dp_rcu_online(unsigned reader_id);

/* Writer side: returns once every reader has passed a quiescent state (or is offline). */
void dp_rcu_synchronize(void);

#endif
