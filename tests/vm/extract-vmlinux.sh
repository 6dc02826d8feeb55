#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT
#
# Writes the uncompressed ELF kernel (vmlinux) that is packed inside an x86 bzImage.
#
# Why: QEMU boots an ELF vmlinux that carries a PVH note directly, skipping the
# real-mode setup code and the in-guest decompressor. Under TCG that decompression
# is the single largest cost of a tiny guest's boot.
#
# How: the bzImage holds the kernel as one compressed stream somewhere after the setup
# code. We look for the magic bytes of every format the kernel can be built with, try
# to decompress from each candidate offset, and keep the first output that is an ELF
# file. Trailing bytes after the stream make most decompressors complain; that is
# expected, so their exit status is ignored and only the output is judged.
#
# Exit status: 0 on success; 1 with a message on stderr when no payload decompresses
# to an ELF image (unknown format, or the needed decompressor is missing).
set -u -o pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BZIMAGE OUT" >&2
    exit 2
fi
img=$1
out=$2
if [ ! -r "$img" ]; then
    echo "extract-vmlinux: $img: cannot read kernel image" >&2
    exit 1
fi

tmp=$(mktemp "${out}.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT

is_elf() {
    [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# try_format NAME PATTERN DECOMPRESSOR...: PATTERN is a grep -P byte regex.
try_format() {
    local name=$1 pattern=$2
    shift 2
    if ! command -v "$1" >/dev/null 2>&1; then
        missing="$missing $1($name)"
        return 1
    fi
    local pos
    for pos in $(LC_ALL=C grep -aboP "$pattern" "$img" | cut -d: -f1); do
        tail -c "+$((pos + 1))" "$img" | "$@" >"$tmp" 2>/dev/null
        if [ -s "$tmp" ] && is_elf "$tmp"; then
            mv "$tmp" "$out"
            echo "extract-vmlinux: $img: $name payload at offset $pos -> $out" >&2
            return 0
        fi
    done
    return 1
}

missing=""
try_format gzip  '\x1f\x8b\x08'          gzip -dc   && exit 0
try_format xz    '\xfd7zXZ\x00'          xz -dc     && exit 0
try_format zstd  '\x28\xb5\x2f\xfd'      zstd -dcq  && exit 0
try_format lz4   '\x02\x21\x4c\x18'      lz4 -dc    && exit 0
try_format bzip2 'BZh'                   bzip2 -dc  && exit 0
try_format lzma  '\x5d\x00\x00\x00'      xz -dc --format=lzma && exit 0
try_format lzo   '\x89\x4c\x5a'          lzop -dc   && exit 0

echo "extract-vmlinux: $img: no compressed ELF payload found${missing:+ (decompressors missing:$missing)}" >&2
exit 1
