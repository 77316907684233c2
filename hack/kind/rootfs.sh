#!/usr/bin/env bash
# Build a Debian root filesystem tarball with mmdebstrap, cached by the hash of its recipe.
# Usage: rootfs.sh node|net   prints the tarball's path.
#   node  the kind node: the packages of kind's base image (sigs.k8s.io/kind images/base/Dockerfile,
#         less fuse-overlayfs, nfs-common and open-iscsi) from Debian, plus kind's own base files
#         (images/base/files) read from the kind Go module at $KIND_VERSION.
#   net   the base of the kube-proxy and kube-router images: iptables (behind kubernetes-sigs'
#         iptables-wrapper, as shipped in kube-router's module, build/image-assets), ipset, nft,
#         conntrack, iproute2; socat and bash for the probe pods.
# Packages come from the host's own apt sources, so a host that uses a Debian mirror uses it too.
# shellcheck disable=SC2016  # mmdebstrap's hooks expand "$1" (the root) in their own shell, not here
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=${1:?usage: rootfs.sh node|net}
sources=${AIRGAP_KIND_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
[[ -f "$sources" ]] || sources=/etc/apt/sources.list
"$KIND_DIR/../ensure-packages.sh" mmdebstrap=mmdebstrap

# Smaller root filesystems: no docs, man pages or translations.
dpkgopts=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*')

case $name in
  node)
    packages=(systemd dbus containerd runc containernetworking-plugins iptables nftables iproute2
      conntrack ethtool socat util-linux mount kmod libseccomp2 pigz e2fsprogs bash ca-certificates
      curl jq procps)
    files=$(kind_module_dir)/images/base/files
    [[ -d "$files" ]] || die "no images/base/files in sigs.k8s.io/kind@$KIND_VERSION"
    # Debian's binaries where kind's build puts its own (containerd.service runs
    # /usr/local/bin/containerd; containerd looks for CNI plugins in /opt/cni/bin). Then the steps
    # of kind's base Dockerfile: its RUN lines, in order.
    hooks=(
      --customize-hook="cp -a '$files/.' \"\$1/\" && chmod -R a+rX,u+w \"\$1/kind\" \"\$1/etc\" \"\$1/usr/local/bin\""
      --customize-hook='chmod 0755 "$1"/usr/local/bin/* "$1"/kind/bin/*'
      --customize-hook='for b in containerd containerd-shim-runc-v2 ctr; do ln -sf /usr/bin/$b "$1/usr/local/bin/$b"; done'
      --customize-hook='mkdir -p "$1/opt/cni/bin" && for p in "$1"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/${p##*/}" "$1/opt/cni/bin/"; done'
      --customize-hook='chroot "$1" ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer|length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)" >"$1/etc/containerd/cri-base.json"'
      --customize-hook='find "$1/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete'
      --customize-hook='rm -f "$1"/lib/systemd/system/multi-user.target.wants/* "$1"/etc/systemd/system/*.wants/* "$1"/lib/systemd/system/local-fs.target.wants/* "$1"/lib/systemd/system/sockets.target.wants/*udev* "$1"/lib/systemd/system/sockets.target.wants/*initctl* "$1"/lib/systemd/system/basic.target.wants/*'
      --customize-hook='echo ReadKMsg=no >>"$1/etc/systemd/journald.conf" && ln -sf /usr/lib/systemd/systemd "$1/sbin/init"'
      --customize-hook='systemctl --root="$1" enable kubelet.service containerd.service undo-mount-hacks.service && systemctl --root="$1" mask systemd-binfmt.service'
      --customize-hook='mkdir -p "$1/etc/kubernetes/manifests"'
    )
    recipe=$(hash_of "$files")
    ;;
  net)
    packages=(iptables ipset nftables conntrack iproute2 kmod socat bash ca-certificates)
    wrapper=$(module_dir "github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION")
    wrapper+=/build/image-assets/iptables-wrapper-installer.sh
    [[ -f "$wrapper" ]] || die "no iptables-wrapper-installer.sh in kube-router $KUBE_ROUTER_VERSION"
    hooks=(
      --customize-hook="cp '$wrapper' \"\$1/iptables-wrapper-installer.sh\""
      --customize-hook='chroot "$1" sh /iptables-wrapper-installer.sh --no-sanity-check && rm -f "$1/iptables-wrapper-installer.sh"'
    )
    recipe=$(hash_of "$wrapper")
    ;;
  *) die "unknown root filesystem: $name" ;;
esac

# The tarball's name carries the hash of everything that shapes it.
key=$( { echo "$DEBIAN_SUITE ${packages[*]} $recipe"; printf '%s\n' "${hooks[@]}" "${dpkgopts[@]}"; sha256sum <"$sources"; } |
  sha256sum | cut -c1-16)
out=$KIND_CACHE/rootfs/$name-$key.tar
if [[ -f "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi
mkdir -p "$KIND_CACHE/rootfs"
log "mmdebstrap $DEBIAN_SUITE ($name): ${packages[*]}"
start=$SECONDS
trap 'rm -f "$out.tmp"' EXIT
mmdebstrap --quiet --mode=root --variant=minbase --format=tar \
  --include="$(IFS=,; echo "${packages[*]}")" "${dpkgopts[@]}" "${hooks[@]}" \
  "$DEBIAN_SUITE" "$out.tmp" "$sources" >&2
mv "$out.tmp" "$out"
# Older tarballs of the same name are superseded.
find "$KIND_CACHE/rootfs" -name "$name-*.tar" ! -name "${out##*/}" -delete
log "$name root filesystem in $((SECONDS - start))s: $out"
printf '%s\n' "$out"
