/* log.h — sluice's log type on top of rte_log, so that DPDK's --log-level and ours agree.
 *
 * SLOG(LEVEL, fmt, ...) with LEVEL one of EMERG..DEBUG, e.g. SLOG(INFO, "port %s: up", name).
 * Never on the per-packet path. */
#ifndef SLUICE_DATAPATH_LOG_H
#define SLUICE_DATAPATH_LOG_H

#include <rte_log.h>

extern int sluice_logtype;

/* Registers the log type (idempotent). Before EAL init, messages still reach stderr. */
void sluice_log_init(void);

#define SLOG(level, fmt, ...) \
    rte_log(RTE_LOG_##level, sluice_logtype, "sluice: " fmt "\n", ##__VA_ARGS__)

#endif
