#!/usr/bin/env bash
# install-deps.sh — install every Debian 12 package that building, testing, the demo and the
# benchmarks need. Idempotent: when everything is already installed it only checks and exits
# (no apt-get update), so CI and repeated runs stay fast.
#
# Usage: scripts/install-deps.sh [--force]   (as root, or with sudo available)
#   --force   run apt-get update + install even if everything looks installed
# Extra packages can be added with SLUICE_EXTRA_PKGS="pkg1 pkg2".
set -euo pipefail

PKGS=(
    # build
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
    libdpdk-dev dpdk dpdk-dev libpcap-dev libnl-3-dev libnl-route-3-dev libjansson-dev
    # unit and integration tests
    libcmocka-dev iproute2 iputils-ping procps psmisc jq socat python3 tshark
    # OpenFlow interop (ovs-ofctl), the OVS-DPDK comparison, the os-ken controller tests
    openvswitch-common openvswitch-switch openvswitch-switch-dpdk python3-os-ken
    # VM tests: QEMU, and lz4 to unpack Debian's kernel for the guest. The guest's kernel and
    # busybox are downloaded into a cache by tests/vm/build-guest.sh (apt-get download), never
    # installed on this machine.
    qemu-system-x86 lz4
)
# shellcheck disable=SC2206
PKGS+=(${SLUICE_EXTRA_PKGS:-})

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO="sudo"
    else
        echo "install-deps.sh: must run as root (or with sudo installed)" >&2
        exit 1
    fi
fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ] && [ "$force" -eq 0 ]; then
    echo "install-deps.sh: all ${#PKGS[@]} packages present"
    exit 0
fi

echo "install-deps.sh: installing: ${missing[*]:-(forced) ${PKGS[*]}}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PKGS[@]}"

# openvswitch-switch-dpdk registers ovs-vswitchd-dpdk as a lower-priority alternative; the
# plain ovs-vswitchd stays the default, so tools that expect it keep working. Benchmarks run
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk explicitly.
echo "install-deps.sh: done"
