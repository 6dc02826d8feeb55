#include "datapath/rcu.h"

#include <errno.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

static struct rte_rcu_qsbr *dp_qsbr;

int dp_rcu_init(unsigned max_readers)
{
    size_t sz = rte_rcu_qsbr_get_memsize(max_readers);
    struct rte_rcu_qsbr *v = rte_zmalloc("sluice_rcu", sz, RTE_CACHE_LINE_SIZE);
    if (!v)
        return -ENOMEM;
    if (rte_rcu_qsbr_init(v, max_readers) != 0) {
        rte_free(v);
        return -EINVAL;
    }
    dp_qsbr = v;
    return 0;
}

void dp_rcu_fini(void)
{
    rte_free(dp_qsbr);
    dp_qsbr = NULL;
}

void dp_rcu_register(unsigned id)
{
    rte_rcu_qsbr_thread_register(dp_qsbr, id);
    rte_rcu_qsbr_thread_online(dp_qsbr, id);
}

void dp_rcu_unregister(unsigned id)
{
    rte_rcu_qsbr_thread_offline(dp_qsbr, id);
    rte_rcu_qsbr_thread_unregister(dp_qsbr, id);
}

void dp_rcu_quiescent(unsigned id)
{
    rte_rcu_qsbr_quiescent(dp_qsbr, id);
}

void dp_rcu_offline(unsigned id)
{
    rte_rcu_qsbr_thread_offline(dp_qsbr, id);
}

void dp_rcu_online(unsigned id)
{
    rte_rcu_qsbr_thread_online(dp_qsbr, id);
}

void dp_rcu_synchronize(void)
{
    if (dp_qsbr)
        rte_rcu_qsbr_synchronize(dp_qsbr, RTE_QSBR_THRID_INVALID);
}
