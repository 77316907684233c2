#!/usr/bin/env bash
# Build the kind node image here, the way `kind build node-image` does (sigs.k8s.io/kind
# pkg/build/nodeimage/buildcontext.go), which cannot run here because it calls `docker` itself:
# run the base image, copy kubeadm, kubelet and kubectl into /usr/bin, write /kind/version,
# import the component images into the node's containerd, and commit with kind's entrypoint.
# Cached by the hash of every input; prints the image reference (also in $KIND_CACHE/node-image.ref).
# shellcheck disable=SC2016  # single-quoted commands are meant to expand inside the node container, not here
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_engine

for b in kubeadm kubelet kubectl; do
  [[ -x "$BIN_DIR/$b" ]] || die "$BIN_DIR/$b missing: run make cluster-build"
done
node_rootfs=$("$KIND_DIR/rootfs.sh" node)
images=$("$KIND_DIR/images.sh")
PAUSE_VERSION=$(pause_version)

key=$( {
  echo "${node_rootfs##*/} ${images##*/} $KUBE_VERSION $PAUSE_VERSION"
  for b in kubeadm kubelet kubectl; do sha256sum <"$BIN_DIR/$b"; done
  sha256sum <"${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-12)
ref=localhost/airgap-kind/node:$KUBE_VERSION-$key
ref_file=$KIND_CACHE/node-image.ref

image_exists() { $ENGINE image inspect "$1" >/dev/null 2>&1; }
up_to_date() {
  image_exists "$ref" || return 1
  log "node image up to date: $ref"
  printf '%s\n' "$ref" >"$ref_file"
  printf '%s\n' "$ref"
}

up_to_date && exit 0
# One build per engine at a time (two `make kind-up` of different clusters would build the same
# image), then look again: the other build may have made it.
exec 7>"$KIND_CACHE/node-image-$ENGINE.lock"
flock 7
up_to_date && exit 0

start=$SECONDS
base=localhost/airgap-kind/node-base:${node_rootfs##*/node-}
base=${base%.tar}
image_exists "$base" || $ENGINE import "$node_rootfs" "$base" >/dev/null

build=airgap-kind-build-$$
cleanup() { $ENGINE rm -f "$build" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# kind's build container: sleep forever and exec into it. Privileged, so containerd starts.
$ENGINE run -d --privileged --name "$build" --entrypoint sleep "$base" infinity >/dev/null 7>&-
node() { $ENGINE exec -i "$build" "$@"; }

for b in kubeadm kubelet kubectl; do
  $ENGINE cp "$BIN_DIR/$b" "$build:/usr/bin/$b"
  node chown root:root "/usr/bin/$b"
done
printf '%s' "$KUBE_VERSION" | node tee /kind/version >/dev/null
# kind pins the sandbox image in its containerd config; point it at the pause built here.
node sed -i "s|^\([[:space:]]*sandbox_image = \).*|\1\"registry.k8s.io/pause:$PAUSE_VERSION\"|" \
  /etc/containerd/config.toml

# Import as kind's containerdImporter does (pkg/build/nodeimage/imageimporter.go).
node bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 &'
node bash -c 'for i in $(seq 50); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; cat /var/log/containerd-build.log; exit 1'
node ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests - <"$images" >/dev/null
# Pinned, so that kubelet's image garbage collection never removes them.
node bash -c 'ctr -n k8s.io images ls -q | xargs -I{} ctr -n k8s.io images label {} io.cri-containerd.pinned=pinned' >/dev/null
# It exits as a zombie (sleep, PID 1, reaps nobody): wait until no live containerd is left.
node bash -c 'pkill -x containerd; for i in $(seq 100); do ps -o stat= -C containerd | grep -qv "^Z" || exit 0; sleep 0.2; done; exit 1'
node rm -rf /var/log/containerd-build.log /run/containerd

changes=(
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  --change 'ENV container=docker'
  --change 'LABEL io.airgap.built-here=hack/kind'
)
if [[ $ENGINE == podman ]]; then
  podman commit -q "${changes[@]}" --change 'STOPSIGNAL SIGRTMIN+3' "$build" "$ref" >/dev/null
else
  # docker commit takes no STOPSIGNAL ("stopsignal is not a valid change command", docker 20.10),
  # so one build step adds it: kind's base image stops systemd with SIGRTMIN+3.
  docker commit "${changes[@]}" "$build" "$ref-commit" >/dev/null
  printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\n' "$ref-commit" | DOCKER_BUILDKIT=0 docker build -q -t "$ref" - >/dev/null
  docker rmi "$ref-commit" >/dev/null
fi
printf '%s\n' "$ref" >"$ref_file"
# Superseded node images (other keys) only take space.
$ENGINE images --format '{{.Repository}}:{{.Tag}}' |
  grep -E '^localhost/airgap-kind/node(-base)?:' | grep -vxF -e "$ref" -e "$base" |
  xargs -r "$ENGINE" rmi >/dev/null 2>&1 || true
log "node image $ref in $((SECONDS - start))s ($($ENGINE image inspect --format '{{.Size}}' "$ref") bytes)"
printf '%s\n' "$ref"
