/* vhost.h — VM ports: vhost-user sockets served by DPDK's net_vhost driver.
 *
 * A `vhostuser` port makes sluice the vhost-user server: it creates the socket and a VM
 * (QEMU `-netdev vhost-user`) or a `net_virtio_user` peer connects to it. A
 * `vhostuserclient` port makes sluice the client: QEMU owns the socket and sluice connects,
 * and reconnects for as long as the port exists, so a restarted sluice finds its VMs again.
 *
 * Both become ordinary ethdevs (datapath/port.h), so the datapath has a single port code
 * path; this module only turns user options into net_vhost devargs and prepares the socket
 * path. Link state follows the VM: up when the virtio device is ready, down when it goes.
 *
 * Control thread only.
 */
#ifndef SLUICE_VM_PORTS_VHOST_H
#define SLUICE_VM_PORTS_VHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/port.h"

/* Builds net_vhost devargs for port `name` with socket `path` and `queues` queue pairs
 * (0 = 1) into buf. For server mode, checks the socket path: a stale socket file left by a
 * dead process is removed; a live one (someone accepts connections there) or a non-socket
 * file is an error. Returns 0 or a negative errno with a message. */
int vhost_port_devargs(const char *name, enum dp_port_type type, const char *path,
                       unsigned queues, char *buf, size_t len, char *err, size_t errlen);

/* Follows the guest enabling and disabling tx queues (virtio rx rings) and spreads the
 * port's tx users over the enabled ones (dp_port.txq_map). Called by dp_port_open(). */
void vhost_port_watch_queues(struct dp_port *p);
void vhost_port_unwatch_queues(struct dp_port *p);

/* The virtio features the guest negotiated on this port's vhost device, or -ENODEV when no
 * guest is connected. */
int vhost_port_features(uint16_t eth_port, uint64_t *features);

/* Calls fn(aux, name) for every feature bit set in `features` that sluice knows by name
 * ("MRG_RXBUF", "CSUM", "GUEST_CSUM", "MQ", "VERSION_1", ...); unknown bits as "bit N". */
void vhost_features_foreach(uint64_t features, void (*fn)(void *aux, const char *name),
                            void *aux);

#endif
