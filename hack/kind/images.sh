#!/usr/bin/env bash
# Build the images a kind node needs before any registry is reachable, and save them in one
# docker-archive that node-image.sh imports into the node's containerd. Prints the archive's path.
#   registry.k8s.io/kube-apiserver|kube-controller-manager|kube-scheduler:$KUBE_VERSION,
#   registry.k8s.io/etcd:$ETCD_VERSION, registry.k8s.io/coredns/coredns:$COREDNS_VERSION,
#   registry.k8s.io/pause:<kubeadm's PauseVersion>   a tiny root filesystem holding the static binary
#   registry.k8s.io/kube-proxy:$KUBE_VERSION,
#   localhost/airgap-kind/kube-router:$KUBE_ROUTER_VERSION,
#   localhost/airgap-kind/netprobe:<key>            the "net" Debian root filesystem (rootfs.sh net)
# Every binary is built here (make cluster-build, hack/kind/build-tools.sh); nothing is pulled.
# The names are the ones kubeadm asks for, so kubeadm finds them; each image carries the label
# io.airgap.built-here=hack/kind so that nobody mistakes it for the upstream image.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_engine
# The flags below are common to podman and docker: --change in Dockerfile form ("LABEL k=v"),
# and -q only for podman (docker's import and commit have none; they print the ID alone).
quiet=()
[[ $ENGINE == docker ]] || quiet=(-q)

k8s_dir=$(module_dir "k8s.io/kubernetes@$KUBE_VERSION")
PAUSE_VERSION=$(pause_version)

static_bins=(kube-apiserver kube-controller-manager kube-scheduler etcd coredns)
for b in "${static_bins[@]}" kube-proxy kube-router; do
  [[ -x "$BIN_DIR/$b" ]] || die "$BIN_DIR/$b missing: run make cluster-build and hack/kind/build-tools.sh"
done

# pause, as kubernetes' build/pause/Makefile compiles it (static, -Os).
pause_stamp="$PAUSE_VERSION $(sha256sum <"$k8s_dir/build/pause/linux/pause.c" | cut -c1-16)"
if [[ ! -x "$BIN_DIR/pause" || "$(cat "$BIN_DIR/.pause.stamp" 2>/dev/null)" != "$pause_stamp" ]]; then
  "$KIND_DIR/../ensure-packages.sh" gcc=gcc
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-airgap" -o "$BIN_DIR/pause" "$k8s_dir/build/pause/linux/pause.c"
  printf '%s\n' "$pause_stamp" >"$BIN_DIR/.pause.stamp"
fi

net_rootfs=$("$KIND_DIR/rootfs.sh" net)
key=$( {
  for b in "${static_bins[@]}" kube-proxy kube-router pause; do sha256sum <"$BIN_DIR/$b"; done
  echo "$net_rootfs $KUBE_VERSION $ETCD_VERSION $COREDNS_VERSION $KUBE_ROUTER_VERSION $PAUSE_VERSION"
  sha256sum <"${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
out=$KIND_CACHE/images/components-$key.tar
# One build at a time (two `make kind-up` of different clusters would build the same archive).
mkdir -p "$KIND_CACHE/images"
exec 8>"$KIND_CACHE/images/.lock"
flock 8
if [[ -f "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi
start=$SECONDS
work=$(mktemp -d "$KIND_CACHE/images-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
label=io.airgap.built-here=hack/kind

# tiny_image <ref> <binary> <path in image> <entrypoint json or ''>: a root filesystem holding one
# static binary, CA certificates and a passwd file, like the distroless images upstream uses.
tiny_image() {
  local ref=$1 bin=$2 path=$3 entry=$4 root=$work/root-${1//[^a-z0-9]/_}
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/var/lib" "$root/$(dirname "$path")"
  chmod 1777 "$root/tmp"
  cp "$BIN_DIR/$bin" "$root/$path"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  local changes=(--change "ENV PATH=/usr/local/bin:/usr/bin:/bin" --change "LABEL $label")
  [[ -z "$entry" ]] || changes+=(--change "ENTRYPOINT $entry")
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -c . |
    $ENGINE import "${quiet[@]}" "${changes[@]}" - "$ref" >/dev/null
}

refs=()
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  tiny_image "registry.k8s.io/$b:$KUBE_VERSION" "$b" "/usr/local/bin/$b" ''
  refs+=("registry.k8s.io/$b:$KUBE_VERSION")
done
tiny_image "registry.k8s.io/etcd:$ETCD_VERSION" etcd /usr/local/bin/etcd ''
tiny_image "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" coredns /coredns '["/coredns"]'
tiny_image "registry.k8s.io/pause:$PAUSE_VERSION" pause /pause '["/pause"]'
refs+=("registry.k8s.io/etcd:$ETCD_VERSION" "registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
  "registry.k8s.io/pause:$PAUSE_VERSION")

# The Debian-based ones share one base layer: the net root filesystem, then one binary on top.
netprobe=$(netprobe_ref)
$ENGINE import "${quiet[@]}" --change "LABEL $label" --change 'CMD ["/bin/bash"]' "$net_rootfs" "$netprobe" >/dev/null
refs+=("$netprobe")
# net_image <ref> <binary> <entrypoint json>
net_image() {
  local ref=$1 bin=$2 entry=$3 c
  c=$($ENGINE create "$netprobe")
  $ENGINE cp "$BIN_DIR/$bin" "$c:/usr/local/bin/$bin"
  $ENGINE commit "${quiet[@]}" --change "LABEL $label" --change "ENTRYPOINT $entry" --change 'CMD []' "$c" "$ref" >/dev/null
  $ENGINE rm "$c" >/dev/null
  refs+=("$ref")
}
net_image "registry.k8s.io/kube-proxy:$KUBE_VERSION" kube-proxy '["/usr/local/bin/kube-proxy"]'
net_image "localhost/airgap-kind/kube-router:$KUBE_ROUTER_VERSION" kube-router '["/usr/local/bin/kube-router"]'

if [[ $ENGINE == podman ]]; then
  podman save -q --format docker-archive -m -o "$work/images.tar" "${refs[@]}"
else
  docker save -o "$work/images.tar" "${refs[@]}"
fi
mv "$work/images.tar" "$out"
find "$KIND_CACHE/images" -name 'components-*.tar' ! -name "${out##*/}" -delete
# The archive holds them now; the engine's copies would only take space.
$ENGINE rmi "${refs[@]}" >/dev/null
log "component images in $((SECONDS - start))s: $out"
printf '%s\n' "$out"
