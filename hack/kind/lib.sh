# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts sourcing this
# Shared settings for the hack/kind scripts. Source it, don't run it.

KIND_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Kubernetes and etcd versions, the cache layout and require_go come from the local control plane.
# shellcheck source=../localcluster/lib.sh
source "$KIND_DIR/../localcluster/lib.sh"
# shellcheck source=versions.env
source "$KIND_DIR/versions.env"

KIND_CACHE=$AIRGAP_CACHE/kind
KIND_CLUSTER_NAME=${AIRGAP_KIND_CLUSTER:-airgap-dify}
# containers.conf for podman: runc (crun refuses this host's hybrid cgroups) and no default
# ulimits (the root shell lacks CAP_SYS_RESOURCE). A file in the cache, never /etc.
KIND_CONTAINERS_CONF=$KIND_CACHE/containers.conf

log() { printf '[kind] %s\n' "$*" >&2; }
die() { printf '[kind] ERROR: %s\n' "$*" >&2; exit 1; }

# The container engine kind and the image build use: docker where a real Docker engine answers,
# podman otherwise; AIRGAP_KIND_PROVIDER=docker|podman (or kind's KIND_EXPERIMENTAL_PROVIDER)
# decides. The decision and why a podman behind `docker` counts as podman: engine.sh.
# shellcheck source=engine.sh
source "$KIND_DIR/engine.sh"
kind_engine() {
  local engine
  engine=$(kind_engine_resolve) || die "no container engine for kind (see above)"
  printf '%s\n' "$engine"
}

# kind_network: the network kind puts the nodes on (kind's default "kind", or its experimental
# per-engine override).
kind_network() {
  if [[ ${ENGINE:-$(kind_engine)} == docker ]]; then
    printf '%s\n' "${KIND_EXPERIMENTAL_DOCKER_NETWORK:-kind}"
  else
    printf '%s\n' "${KIND_EXPERIMENTAL_PODMAN_NETWORK:-kind}"
  fi
}

# ensure_engine: the host tools for the chosen engine, and podman's settings for this kernel.
# Sets ENGINE and exports KIND_EXPERIMENTAL_PROVIDER (and CONTAINERS_CONF for podman).
ensure_engine() {
  ENGINE=$(kind_engine)
  export KIND_EXPERIMENTAL_PROVIDER=$ENGINE
  local ensure=("$KIND_DIR/../ensure-packages.sh")
  if [[ $ENGINE == podman ]]; then
    # runc: crun refuses the hybrid cgroups; dnsname: containers on the kind network find each
    # other by name (the registry that stands in for Harbor). It lives in /usr/lib/cni.
    PATH=$PATH:/usr/lib/cni "${ensure[@]}" podman=podman runc=runc \
      dnsname=golang-github-containernetworking-plugin-dnsname
    mkdir -p "$KIND_CACHE"
    local conf
    conf=$'# Written by hack/kind/lib.sh: podman settings for kind on this host.\n'
    conf+=$'[containers]\n# The root shell lacks CAP_SYS_RESOURCE: raising nofile fails.\ndefault_ulimits = []\n'
    conf+=$'[engine]\n# crun refuses hybrid (v1 + unified) cgroups.\nruntime = "runc"\n'
    [[ -f "$KIND_CONTAINERS_CONF" && "$(<"$KIND_CONTAINERS_CONF")"$'\n' == "$conf" ]] ||
      printf '%s' "$conf" >"$KIND_CONTAINERS_CONF"
    export CONTAINERS_CONF=$KIND_CONTAINERS_CONF
  fi
  # kind bind-mounts /lib/modules into every node; this host has none (nothing can be loaded).
  [[ -d /lib/modules ]] || mkdir -p /lib/modules
}

# hash_of <path>...: one sha256 over the contents (and relative names) of files and directories.
hash_of() {
  local p
  for p in "$@"; do
    if [[ -d "$p" ]]; then
      (cd "$p" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    else
      sha256sum <"$p"
    fi
  done | sha256sum | cut -c1-16
}

# module_dir <module@version>: where the Go module cache holds it unpacked (downloaded if needed).
module_dir() {
  local dir
  require_go
  dir=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$dir" ]] || die "could not download $1"
  printf '%s\n' "$dir"
}

kind_module_dir() { module_dir "sigs.k8s.io/kind@$KIND_VERSION"; }

# pause_version: the pause tag kubeadm asks for (kubernetes build/pause/Makefile TAG, the same
# figure as cmd/kubeadm/app/constants PauseVersion).
pause_version() {
  local v
  v=$(sed -n 's/^TAG ?= //p' "$(module_dir "k8s.io/kubernetes@$KUBE_VERSION")/build/pause/Makefile")
  [[ -n "$v" ]] || die "no pause TAG in k8s.io/kubernetes@$KUBE_VERSION build/pause/Makefile"
  printf '%s\n' "$v"
}

# containerd's registry host directory for every node of the cluster (cluster.yaml extraMounts).
KIND_CERTS_D=$KIND_CACHE/$KIND_CLUSTER_NAME/certs.d
KIND_KUBECONFIG=${AIRGAP_KIND_KUBECONFIG:-$KIND_CACHE/$KIND_CLUSTER_NAME/kubeconfig}
# shellcheck disable=SC2153  # BIN_DIR is set by ../localcluster/lib.sh, sourced above
kind_cli() { "$BIN_DIR/kind" "$@"; }
kk() { "$BIN_DIR/kubectl" --kubeconfig "$KIND_KUBECONFIG" "$@"; }
kind_cluster_exists() { [[ -x "$BIN_DIR/kind" ]] && kind_cli get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; }

# netprobe_ref: the Debian "net" image baked into the node image (images.sh), for probe pods.
netprobe_ref() {
  local rootfs
  rootfs=$("$KIND_DIR/rootfs.sh" net)
  rootfs=${rootfs##*/net-}
  printf 'localhost/airgap-kind/netprobe:%s\n' "${rootfs%.tar}"
}
