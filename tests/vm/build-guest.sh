#!/bin/bash
# build-guest.sh: build (or reuse) the tiny test guest that tests/vm/run-vm.sh boots.
#
# Usage: build-guest.sh [--cache DIR] [--kernel-pkg PKG] [--refresh] [--quiet]
#
# The guest is made only of Debian packages, fetched with `apt-get download` into the
# cache (never installed on the host):
#   - the kernel: PKG (default linux-image-cloud-amd64, a metapackage resolved to the
#     versioned linux-image-<abi>-cloud-amd64; the cloud flavour has fewer drivers and boots
#     faster). Its bzImage is unpacked to an ELF vmlinux (extract-vmlinux.sh) because QEMU
#     boots that through its PVH entry point, skipping the in-guest decompressor, which is
#     the slowest part of a boot under TCG.
#   - busybox-static: the whole userland, and the cpio used to pack the initramfs.
#   - ethtool (+ libmnl0, and the host's libc, which is the same Debian release): busybox
#     has no ethtool, and `ethtool -L eth0 combined N` is the only way to enable more queue
#     pairs than the guest has CPUs.
#   - virtio_net, virtio_pci and failover/net_failover from the kernel package, with every
#     module they depend on (read from each module's own modinfo, since the package ships no
#     modules.dep: depmod runs at install time), decompressed if shipped as .ko.{xz,zst,gz}.
#   - tests/vm/guest-init.sh as /init.
#
# Output: the cache holds vmlinux (or vmlinuz when extraction is impossible), initramfs.cpio
# and guest.env (KERNEL=, INITRD=, KVER=); the path of guest.env is printed on stdout.
#
# Idempotent and safe to run concurrently: everything happens under a lock on the cache, the
# downloaded packages are kept and reused (the kernel version is pinned by the first download
# until --refresh), and the initramfs is rebuilt only when one of its inputs changed.
#
# Cache: --cache, else $SLUICE_VM_CACHE, else /var/cache/sluice-vm.
# Host tools needed: apt-get, dpkg-deb, the kernel's decompressor (lz4 for Debian 12 kernels;
# gzip, xz-utils or zstd for others), sha256sum, flock. Exit status 0, or 1 with a message.
set -eu -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${SLUICE_VM_CACHE:-/var/cache/sluice-vm}
kernel_meta=linux-image-cloud-amd64
refresh=0
quiet=0

die() {
    echo "build-guest: $*" >&2
    exit 1
}
log() {
    [ "$quiet" = 1 ] || echo "build-guest: $*" >&2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
    --kernel-pkg) kernel_meta=${2:?--kernel-pkg needs a package name}; shift 2 ;;
    --refresh) refresh=1; shift ;;
    --quiet) quiet=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
    esac
done

for tool in apt-get apt-cache dpkg-deb sha256sum flock; do
    command -v "$tool" >/dev/null || die "host tool '$tool' is missing"
done

mkdir -p "$cache/debs" || die "cache $cache: cannot create"
exec 9>"$cache/.lock"
flock -w 600 9 || die "cache $cache: lock held by another build for 10 minutes"

# apt-get download as root otherwise warns that the _apt user cannot write the cache.
apt_opts=(-q -o APT::Sandbox::User=root)

# resolve_kernel_pkg META: the versioned linux-image package a metapackage depends on.
resolve_kernel_pkg() {
    local meta=$1 pkg
    case "$meta" in
    linux-image-[0-9]*) echo "$meta"; return 0 ;;
    esac
    pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$pkg" ]; then
        log "apt lists do not know $meta; running apt-get update"
        apt-get "${apt_opts[@]}" update >/dev/null 2>&1 || true
        pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    fi
    [ -n "$pkg" ] || return 1
    echo "$pkg"
}

# fetch_deb PKG: path of PKG's .deb in the cache, downloading it the first time.
fetch_deb() {
    local pkg=$1 deb
    deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ] || [ "$refresh" = 1 ]; then
        log "downloading $pkg"
        if ! (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$pkg" >/dev/null 2>"$cache/debs/.apt.err"); then
            apt-get "${apt_opts[@]}" update >/dev/null 2>&1 || true
            (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$pkg" >/dev/null 2>"$cache/debs/.apt.err") ||
                die "package $pkg: apt-get download failed: $(tail -n1 "$cache/debs/.apt.err")"
        fi
        deb=$(ls -t "$cache/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
        [ -n "$deb" ] || die "package $pkg: apt-get download left no .deb in $cache/debs"
        # Keep only the newest version so that the pin below stays unambiguous.
        for old in "$cache/debs/${pkg}_"*.deb; do
            [ "$old" = "$deb" ] || rm -f "$old"
        done
    fi
    echo "$deb"
}

# unpack DEB DIR: extract once; a stamp holding the .deb name makes a rerun free.
unpack() {
    local deb=$1 dir=$2
    if [ -f "$dir/.from" ] && [ "$(cat "$dir/.from")" = "$(basename "$deb")" ]; then
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    dpkg-deb -x "$deb" "$dir" || die "package $(basename "$deb"): dpkg-deb -x failed"
    basename "$deb" >"$dir/.from"
}

# The kernel version is pinned by the first download: tests keep booting the same kernel
# until someone asks for --refresh.
if [ "$refresh" = 1 ] || [ ! -s "$cache/kernel.pkg" ] || [ "$(sed -n 1p "$cache/kernel.pkg")" != "$kernel_meta" ]; then
    kpkg=$(resolve_kernel_pkg "$kernel_meta") ||
        die "kernel package $kernel_meta: no linux-image-<version> dependency found by apt-cache"
    printf '%s\n%s\n' "$kernel_meta" "$kpkg" >"$cache/kernel.pkg"
fi
kpkg=$(sed -n 2p "$cache/kernel.pkg")

if ! kdeb=$(fetch_deb "$kpkg" 2>"$cache/fetch.err"); then
    # The archive dropped the pinned ABI (a kernel security update renames the package):
    # follow the metapackage to its current kernel.
    log "pinned kernel $kpkg cannot be downloaded any more ($(tail -n1 "$cache/fetch.err")); re-resolving $kernel_meta"
    kpkg=$(resolve_kernel_pkg "$kernel_meta") ||
        die "kernel package $kernel_meta: no linux-image-<version> dependency found by apt-cache"
    printf '%s\n%s\n' "$kernel_meta" "$kpkg" >"$cache/kernel.pkg"
    kdeb=$(fetch_deb "$kpkg")
fi
bdeb=$(fetch_deb busybox-static)
edeb=$(fetch_deb ethtool)
mdeb=$(fetch_deb libmnl0)
unpack "$kdeb" "$cache/kernel-root"
unpack "$bdeb" "$cache/busybox-root"
unpack "$edeb" "$cache/ethtool-root"
unpack "$mdeb" "$cache/libmnl-root"

moddir=$(ls -d "$cache/kernel-root/lib/modules/"*/ 2>/dev/null | head -n1)
[ -n "$moddir" ] || die "package $kpkg: no lib/modules/<version> directory"
kver=$(basename "$moddir")
vmlinuz="$cache/kernel-root/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || die "package $kpkg: no boot/vmlinuz-$kver"
busybox="$cache/busybox-root/bin/busybox"
[ -x "$busybox" ] || die "package busybox-static: no executable bin/busybox"

# Uncompressed kernel. Rebuilt only when the vmlinuz it came from changes.
kernel="$cache/vmlinux"
if [ ! -s "$cache/vmlinux" ] || [ "$(cat "$cache/vmlinux.from" 2>/dev/null)" != "$kver" ]; then
    rm -f "$cache/vmlinux" "$cache/vmlinux.from"
    if "$here/extract-vmlinux.sh" "$vmlinuz" "$cache/vmlinux.tmp" 2>"$cache/extract.err"; then
        chmod 644 "$cache/vmlinux.tmp"
        mv "$cache/vmlinux.tmp" "$cache/vmlinux"
        echo "$kver" >"$cache/vmlinux.from"
    else
        rm -f "$cache/vmlinux.tmp"
        log "vmlinux extraction failed ($(tail -n1 "$cache/extract.err")); the guest boots the bzImage instead (slower)"
    fi
fi
[ -s "$cache/vmlinux" ] || kernel=$vmlinuz

# find_module NAME: path of the module file for NAME ('-' and '_' are interchangeable in
# module names), empty when the kernel has it built in, failure when it has neither.
find_module() {
    local name=$1 alt f
    alt=$(echo "$name" | tr '_-' '-_')
    f=$(find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.*" -o -name "$alt.ko" -o -name "$alt.ko.*" \) -print -quit)
    if [ -n "$f" ]; then
        echo "$f"
        return 0
    fi
    grep -Eq "/($name|$alt)\.ko$" "$moddir/modules.builtin" 2>/dev/null && return 0
    return 1
}

# module_plain FILE OUT: the module uncompressed, since busybox insmod may lack xz/zstd.
module_plain() {
    case "$1" in
    *.ko) cp "$1" "$2" ;;
    *.ko.xz) xz -dc "$1" >"$2" ;;
    *.ko.zst) zstd -dcq "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
    *) return 1 ;;
    esac
}

# module_depends FILE: its dependency list (comma separated), from kmod's modinfo when the
# host has it, else from the .modinfo strings themselves.
module_depends() {
    if command -v modinfo >/dev/null; then
        modinfo -F depends "$1"
    else
        tr '\0' '\n' <"$1" | grep -a -m1 '^depends=' | cut -d= -f2-
    fi
}

# Inputs of the initramfs; a change in any of them rebuilds it.
wanted_modules="virtio_pci failover net_failover virtio_net"
inputs=$(
    printf '%s\n' "$kver" "$(basename "$bdeb")" "$(basename "$edeb")" "$(basename "$mdeb")" "$wanted_modules"
    sha256sum "$here/guest-init.sh" "$here/build-guest.sh" | cut -d' ' -f1
)
stamp=$(printf '%s' "$inputs" | sha256sum | cut -d' ' -f1)
initrd="$cache/initramfs.cpio"

if [ ! -s "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "building initramfs for kernel $kver"
    stage="$cache/stage"
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,lib/modules,lib64,lib/x86_64-linux-gnu}
    cp "$busybox" "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    install -m 755 "$here/guest-init.sh" "$stage/init"

    # Depth-first walk so that every module is listed after all of its dependencies.
    declare -A seen=()
    order=()
    visit() {
        local name=${1//-/_} f tmpko dep
        [ -n "${seen[$name]:-}" ] && return 0
        seen[$name]=1
        f=$(find_module "$name") || die "kernel $kver: module $name not found (needed by the guest's virtio-net)"
        [ -n "$f" ] || return 0 # built in
        tmpko="$stage/lib/modules/$name.ko"
        module_plain "$f" "$tmpko" || die "kernel $kver: module file $f: cannot decompress"
        for dep in $(module_depends "$tmpko" | tr ',' ' '); do
            visit "$dep"
        done
        order+=("$name")
    }
    for m in $wanted_modules; do
        visit "$m"
    done
    printf '%s\n' "${order[@]}" >"$stage/lib/modules/load.list"

    # ethtool from its package, its libraries from libmnl0's package and from the host.
    # (Debian 12 ships /sbin/ethtool, later releases /usr/sbin/ethtool.)
    ethtool_bin=$(find "$cache/ethtool-root" -path '*bin/ethtool' -type f -print -quit)
    [ -n "$ethtool_bin" ] || die "package ethtool: no sbin/ethtool inside"
    cp "$ethtool_bin" "$stage/sbin/ethtool"
    libmnl=$(find "$cache/libmnl-root" -name 'libmnl.so.0' -print -quit)
    [ -n "$libmnl" ] || die "package libmnl0: no libmnl.so.0 inside"
    cp -L "$libmnl" "$stage/lib/x86_64-linux-gnu/"
    for lib in $(LD_LIBRARY_PATH="$stage/lib/x86_64-linux-gnu" ldd "$stage/sbin/ethtool" |
        awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
        case "$lib" in
        "$stage"/*) ;;
        */ld-linux*) cp -L "$lib" "$stage/lib64/" ;;
        *) cp -L "$lib" "$stage/lib/x86_64-linux-gnu/" ;;
        esac
    done
    [ -e "$stage/lib64/ld-linux-x86-64.so.2" ] || die "host: ldd found no ld-linux-x86-64.so.2 for ethtool"

    # busybox's own cpio packs the archive, so the host needs no cpio. Left uncompressed:
    # unpacking it costs the guest nothing, while decompressing costs seconds under TCG.
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 >"$initrd.tmp" 2>/dev/null) ||
        die "initramfs: busybox cpio failed"
    mv "$initrd.tmp" "$initrd"
    echo "$stamp" >"$initrd.stamp"
    rm -rf "$stage"
fi

cat >"$cache/guest.env.tmp" <<ENV
KERNEL=$kernel
INITRD=$initrd
KVER=$kver
ENV
mv "$cache/guest.env.tmp" "$cache/guest.env"
log "guest ready: kernel $kernel, initramfs $initrd ($(du -h "$initrd" | cut -f1))"
echo "$cache/guest.env"
