#!/usr/bin/env bash
# The base image of every lienthong image, made from Debian's packages alone (no container registry):
# debootstrap bookworm (minbase: Python 3.11, CA certificates, tini), docs and apt lists removed, imported
# with `docker import`. The root filesystem's tarball is kept in $IMAGES_CACHE and re-used, so the
# debootstrap runs once per machine; an image already present is left as it is.
set -euo pipefail
tag=${BASE_IMAGE:-lienthong/base:bookworm}
cache=${IMAGES_CACHE:-var/images}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/base-bookworm.tar

if docker image inspect "$tag" >/dev/null 2>&1; then
    if [ ! -f "$cache/base-dpkg-status" ]; then
        # a new checkout on a machine whose engine already has the base: what it holds, for images/debs.sh
        mkdir -p "$cache"
        docker run --rm --entrypoint cat "$tag" /var/lib/dpkg/status > "$cache/base-dpkg-status.partial"
        mv "$cache/base-dpkg-status.partial" "$cache/base-dpkg-status"
    fi
    echo "base image $tag: present"
    exit 0
fi
if [ ! -f "$tarball" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "installing debootstrap (the base image is made from Debian's packages)"
        sudo=$([ "$(id -u)" = 0 ] || echo sudo)
        $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap \
            || { $sudo apt-get update -q && $sudo apt-get install -y -q debootstrap; }
    fi
    rootfs=$cache/rootfs
    rm -rf "$rootfs"
    mkdir -p "$cache"
    echo "debootstrap bookworm into $rootfs (once; a few minutes)"
    debootstrap --variant=minbase --include=python3,ca-certificates,tini bookworm "$rootfs" "$mirror"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
    echo "deb $mirror bookworm main" > "$rootfs"/etc/apt/sources.list
    cp "$rootfs"/var/lib/dpkg/status "$cache/base-dpkg-status"  # what the base holds (images/debs.sh)
    tar --numeric-owner -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
fi
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$tarball" "$tag" >/dev/null
echo "base image $tag: imported from $tarball"
