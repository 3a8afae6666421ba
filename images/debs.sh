#!/usr/bin/env bash
# Debian packages an image adds to the base (PostgreSQL's server for the container test's database, its
# client for the operators' `cli` image), downloaded here with apt (Debian's archive, no container registry)
# together with every dependency the base lacks: apt resolves them against the base's own dpkg status.
# Usage: images/debs.sh <name> <package>...   → $IMAGES_CACHE/context/debs-<name>/*.deb (kept once complete)
set -euo pipefail
name=$1
shift
cache=${IMAGES_CACHE:-var/images}
target=$cache/context/debs-$name
if [ -f "$target/.complete" ]; then
    exit 0
fi
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$target" "$state/partial"
cp "$cache/base-dpkg-status" "$state/status"
apt-get -q -y --download-only \
    -o Dir::State::status="$state/status" -o Dir::Cache::archives="$state" \
    -o Debug::NoLocking=1 -o APT::Install-Recommends=false \
    install "$@" >/dev/null
mv "$state"/*.deb "$target/"
touch "$target/.complete"
echo "$(ls "$target" | wc -l) packages for $name in $target"
