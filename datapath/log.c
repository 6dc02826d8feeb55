#include "datapath/log.h"

int sluice_logtype = RTE_LOGTYPE_USER1;

void sluice_log_init(void)
{
    int t = rte_log_register_type_and_pick_level("sluice", RTE_LOG_INFO);
    if (t >= 0)
        sluice_logtype = t;
}
