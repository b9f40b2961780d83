# shellcheck shell=bash
# A fresh Debian 12 root, as a new user's machine has it, for the tests in this directory.
# fresh_base: a Debian 12 root made by mmdebstrap from the mirror apt uses, variant
#   "important" (what a standard Debian install has: sudo is added because a cloud or VM
#   image has it and the README says `sudo make …`; make because the README runs make),
#   kept as a tarball in $FRESH_CACHE so later runs start from the same clean image.
# fresh_new DIR: unpack it into DIR, with the machine's Rust toolchain (~/.cargo copied,
#   ~/.rustup bound read-only at run time) as rustup would have installed it.
# fresh_run DIR SCRIPT: run SCRIPT (a path inside DIR) as root in DIR: chroot, private
#   network namespace with only loopback (apt reaches the Debian mirror through
#   aptproxy.py, nothing else is reachable), private /proc, host name vm.
set -euo pipefail
FRESH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRESH_CACHE=${FRESH_CACHE:-/var/cache/qmail-rs-fresh}
FRESH_MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
FRESH_MIRROR_HOST=$(echo "$FRESH_MIRROR" | sed 's|^http://||; s|/.*||')
PY=/usr/bin/python3

fresh_need() {
  command -v mmdebstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
}

fresh_base() {
  local tar=$FRESH_CACHE/bookworm-important.tar
  if [ ! -s "$tar" ]; then
    fresh_need
    mkdir -p "$FRESH_CACHE"
    mmdebstrap --quiet --format=tar --variant=important --include=sudo,make bookworm "$tar.tmp" "$FRESH_MIRROR"
    mv "$tar.tmp" "$tar"
  fi
  echo "$tar"
}

fresh_new() {
  local dir=$1 base
  base=$(fresh_base)
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xf "$base" -C "$dir"
  # rustup's installation, as its installer leaves it for root
  cp -a "$HOME/.cargo" "$dir/root/.cargo"
  mkdir -p "$dir/root/.rustup"
  printf '. "$HOME/.cargo/env"\n' >> "$dir/root/.profile"
  printf '. "$HOME/.cargo/env"\n' >> "$dir/root/.bashrc"
  # crates.io is out of reach here: cargo uses the crates the machine has already fetched
  printf '[net]\noffline = true\n' >> "$dir/root/.cargo/config.toml"
  # the first boot of a Debian machine names itself in /etc/hosts
  printf '127.0.1.1\tvm\n' >> "$dir/etc/hosts"
}

fresh_run() {
  local dir=$1 script=$2 sock proxy rc=0
  sock=$(mktemp -u /tmp/qmail-fresh-apt.XXXXXX)
  "$PY" "$FRESH_HERE/aptproxy.py" proxy "$sock" "$FRESH_MIRROR_HOST" &
  proxy=$!
  unshare --net --pid --fork --mount --uts --propagation private /bin/bash -c '
    set -e
    dir=$1 script=$2 sock=$3 here=$4
    ip link set lo up
    hostname vm
    # the root of a real machine is a mount point; unshare -m (the e2e tests) needs that
    mount --bind "$dir" "$dir"
    '"$PY"' "$here/aptproxy.py" bridge 3142 "$sock" &
    mount -t proc proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    mount -t sysfs sysfs "$dir/sys"
    mount --bind "$HOME/.rustup" "$dir/root/.rustup"
    mount -o remount,bind,ro "$dir/root/.rustup"
    printf "Acquire::http::Proxy \"http://127.0.0.1:3142/\";\n" > "$dir/etc/apt/apt.conf.d/99fresh-proxy"
    exec chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -l "$script"
  ' _ "$dir" "$script" "$sock" "$FRESH_HERE" || rc=$?
  kill "$proxy" 2>/dev/null || true
  wait "$proxy" 2>/dev/null || true
  rm -f "$sock"
  return "$rc"
}

# The repository this script belongs to, cloned afresh into DIR/root/qmail-rs.
fresh_clone() {
  local dir=$1 repo
  repo=$(git -C "$FRESH_HERE" rev-parse --show-toplevel)
  git clone -q --no-local "$repo" "$dir/root/qmail-rs"
  git -C "$dir/root/qmail-rs" checkout -q "$(git -C "$repo" rev-parse HEAD)"
}
