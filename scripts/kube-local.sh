#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, from the binaries scripts/build-kube-local.sh builds
# from their Go modules (Kubernetes v1.34.4, etcd v3.6.16) and Debian's containerd, runc and CNI plugins.
# Nothing is downloaded; run as root.
#
#   bash scripts/kube-local.sh up       # certificates, etcd, the control plane, containerd, kubelet, kube-proxy,
#                                       # CoreDNS, a default StorageClass
#   bash scripts/kube-local.sh images --stack <name> | <image>...
#                                       # copies images from dockerd into the cluster's containerd (k8s.io
#                                       # namespace): the named ones, or every *Image key of Pulumi.<name>.yaml
#   bash scripts/kube-local.sh status   # what runs, the node's conditions, the kubeconfig path
#   bash scripts/kube-local.sh down     # stops everything it started and removes every file, mount,
#                                       # interface, network namespace and iptables chain it created
#   bash scripts/kube-local.sh leftovers  # lists anything of the cluster still there (exit 1 if any)
#
# Everything lives under $KUBE_LOCAL_DIR (default /var/lib/pg-kube-local): pki/, kubeconfigs, logs/,
# etcd data, containerd's root and state, the kubelet's root. The API server listens on
# 0.0.0.0:$KUBE_LOCAL_API_PORT (default 16443; client certificates only) and advertises the host's first
# address, which pods reach through the service 10.96.0.1. containerd is a second instance of its own
# (socket $KUBE_LOCAL_DIR/containerd.sock), not the one dockerd runs.
#
# Cluster DNS is CoreDNS (built from its Go module) as a process on the node, serving cluster.local from
# the API server on the node's address, port 53; the kubelet gives pods that address as their resolver.
# Storage is the controller manager's hostPath provisioner (--enable-hostpath-provisioner, a single-node
# test feature of Kubernetes): the default StorageClass pg-local-hostpath gives every PVC a directory
# /tmp/hostpath_pv/<uid>, deleted with its claim (reclaimPolicy Delete).
set -euo pipefail
cd "$(dirname "$0")/.."

D="${KUBE_LOCAL_DIR:-/var/lib/pg-kube-local}"
API_PORT="${KUBE_LOCAL_API_PORT:-16443}"
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
NODE=pg-kube-local
PKI="$D/pki"
LOG="$D/logs"
RUN="$D/run"

die() { echo "kube-local.sh: $*" >&2; exit 1; }
say() { echo "[kube-local $(($(date +%s) - START))s] $*"; }
START=$(date +%s)

bin_dir() {
  local b
  b=$(bash scripts/build-kube-local.sh --print-dir k8s 2>/dev/null | head -1)
  [ -n "$b" ] && [ -x "$b/kube-apiserver" ] || die "Kubernetes binaries not built: run bash scripts/build-kube-local.sh"
  echo "$b"
}

# start <name> <command...>: in the background, output to logs/<name>.log, pid in run/<name>.pid.
start() {
  local name=$1
  shift
  "$@" >"$LOG/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# wait_for <what> <seconds> <command...>: polls the command every 0.5 s.
wait_for() {
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what not ready after ${limit}s (logs: $LOG)"
}

cert() { # cert <name> <subject> [<san>]: a key and a certificate signed by the cluster CA
  local name=$1 subj=$2 san=${3:-}
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  [ -n "$san" ] && echo "subjectAltName=$san" >>"$ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 30 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
}

kubeconfig() { # kubeconfig <file> <cert name> <server>
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$3", certificate-authority: "$PKI/ca.crt"}}]
users: [{name: $2, user: {client-certificate: "$PKI/$2.crt", client-key: "$PKI/$2.key"}}]
contexts: [{name: local, context: {cluster: local, user: $2, namespace: default}}]
current-context: local
EOF
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root (kubelet, containerd and kube-proxy need it)"
  [ -f "$RUN/kube-apiserver.pid" ] && kill -0 "$(cat "$RUN/kube-apiserver.pid")" 2>/dev/null && die "already up (bash $0 down first)"
  local B NODE_IP
  B=$(bin_dir)
  for p in containerd runc; do command -v $p >/dev/null || die "$p not found: apt-get install -y containerd runc"; done
  [ -x /usr/lib/cni/bridge ] || die "CNI plugins not found: apt-get install -y containernetworking-plugins"
  NODE_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')
  [ -n "$NODE_IP" ] || NODE_IP=$(hostname -I | awk '{print $1}')
  mkdir -p "$PKI" "$LOG" "$RUN" "$D/etcd" "$D/containerd/root" "$D/containerd/state" "$D/kubelet" "$D/cni/net.d"
  echo "$NODE_IP" >"$D/node-ip"

  say "certificates (node $NODE_IP)"
  openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=pg-kube-local-ca" -days 30 -out "$PKI/ca.crt" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$NODE_IP,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  cert admin "/O=system:masters/CN=admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kubelet "/O=system:nodes/CN=system:node:$NODE" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE"
  cert kube-proxy "/CN=system:kube-proxy"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local server="https://127.0.0.1:$API_PORT"
  for c in admin controller-manager scheduler kubelet kube-proxy; do kubeconfig "$D/$c.kubeconfig" "$c" "$server"; done

  say "etcd"
  start etcd "$B/etcd" --data-dir "$D/etcd" --listen-client-urls http://127.0.0.1:12379 \
    --advertise-client-urls http://127.0.0.1:12379 --listen-peer-urls http://127.0.0.1:12380
  wait_for etcd 30 curl -sf http://127.0.0.1:12379/health

  say "kube-apiserver"
  start kube-apiserver "$B/kube-apiserver" --etcd-servers http://127.0.0.1:12379 \
    --secure-port "$API_PORT" --bind-address 0.0.0.0 --advertise-address "$NODE_IP" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --kubelet-client-certificate "$PKI/admin.crt" --kubelet-client-key "$PKI/admin.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --allow-privileged=true --kubelet-preferred-address-types InternalIP
  wait_for kube-apiserver 60 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$server/readyz"

  say "kube-controller-manager, kube-scheduler"
  start kube-controller-manager "$B/kube-controller-manager" --kubeconfig "$D/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$D/controller-manager.kubeconfig" --authorization-kubeconfig "$D/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10257 --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials \
    --service-cluster-ip-range "$SERVICE_CIDR" --leader-elect=false --enable-hostpath-provisioner
  start kube-scheduler "$B/kube-scheduler" --kubeconfig "$D/scheduler.kubeconfig" \
    --authentication-kubeconfig "$D/scheduler.kubeconfig" --authorization-kubeconfig "$D/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false

  say "CoreDNS on $NODE_IP:53, the default StorageClass"
  cat >"$D/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $D/admin.kubeconfig local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 5
}
EOF
  start coredns "$B/coredns" -conf "$D/Corefile"
  wait_for CoreDNS 30 curl -sf http://127.0.0.1:18181/ready
  api_send POST /apis/storage.k8s.io/v1/storageclasses '{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "pg-local-hostpath", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "kubernetes.io/host-path", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}' >/dev/null

  # restrict_oom_score_adj: the kubelet asks for oom_score_adj -998 for every pod sandbox, and lowering it
  # needs CAP_SYS_RESOURCE, which root lacks on this machine (a container itself): runc then fails with
  # "can't get final child's PID from pipe: EOF". Clamped to containerd's own score, the pods start.
  say "containerd (own instance), the pause image"
  cat >"$D/containerd.toml" <<EOF
version = 2
root = "$D/containerd/root"
state = "$D/containerd/state"
[grpc]
  address = "$D/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "proving-ground/pause:3.10.1"
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$D/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
EOF
  start containerd containerd --config "$D/containerd.toml"
  wait_for containerd 30 ctr --address "$D/containerd.sock" version
  local img
  img=$(mktemp -d)
  install -m 0755 "$B/pause" "$img/pause"
  tar -C "$img" -c pause | docker import --change 'ENTRYPOINT ["/pause"]' - proving-ground/pause:3.10.1 >/dev/null
  rm -rf "$img"
  docker save proving-ground/pause:3.10.1 | ctr --address "$D/containerd.sock" -n k8s.io images import - >/dev/null

  say "CNI bridge, kubelet, kube-proxy"
  cat >"$D/cni/net.d/10-pg-bridge.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "pg-kube-local", "plugins": [
  {"type": "bridge", "bridge": "pgk0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  cat >"$D/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$PKI/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
failSwapOn: false
tlsCertFile: "$PKI/kubelet.crt"
tlsPrivateKeyFile: "$PKI/kubelet.key"
containerRuntimeEndpoint: "unix://$D/containerd.sock"
podCIDR: $POD_CIDR
resolvConf: /etc/resolv.conf
EOF
  # Pod-to-pod traffic crosses the bridge through iptables' FORWARD chain (br_netfilter), whose policy
  # dockerd sets to DROP: without these two rules pods reach the host but not each other (seen: NATS
  # routes "connection refused", then timeouts). Tagged with a comment so `down` removes exactly them.
  iptables -I FORWARD 1 -i pgk0 -m comment --comment pg-kube-local -j ACCEPT
  iptables -I FORWARD 1 -o pgk0 -m comment --comment pg-kube-local -j ACCEPT
  start kubelet "$B/kubelet" --config "$D/kubelet.yaml" --kubeconfig "$D/kubelet.kubeconfig" \
    --root-dir "$D/kubelet" --hostname-override "$NODE" --node-ip "$NODE_IP"
  start kube-proxy "$B/kube-proxy" --kubeconfig "$D/kube-proxy.kubeconfig" --cluster-cidr "$POD_CIDR" \
    --hostname-override "$NODE" --proxy-mode iptables --metrics-bind-address 127.0.0.1:10249
  wait_for "node $NODE Ready" 120 node_ready
  # The controllers run once the service-account controller has made the namespace's `default` account:
  # before that a new Service may wait many seconds for its EndpointSlice (seen: a ClusterIP refused for 30 s).
  wait_for "controllers (the default service account)" 120 api /api/v1/namespaces/default/serviceaccounts/default
  say "up: KUBECONFIG=$D/admin.kubeconfig"
}

api() { curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT$1"; }
# api_send <method> <path> <json>: the server's answer on failure.
api_send() {
  curl -sS --fail-with-body --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    -X "$1" -H 'Content-Type: application/json' --data "$3" "https://127.0.0.1:$API_PORT$2" ||
    die "$1 $2 failed"
}

# images --stack <name> | <image>...: docker save | ctr import into the k8s.io namespace, so the kubelet
# finds them without a pull (tags other than :latest get imagePullPolicy IfNotPresent).
images() {
  [ -S "$D/containerd.sock" ] || die "the cluster is not up (bash $0 up)"
  local list=() img t0
  if [ "${1:-}" = --stack ]; then
    local file="Pulumi.${2:?images --stack needs a stack name}.yaml"
    [ -f "$file" ] || die "$file not found"
    mapfile -t list < <(awk '$1 ~ /^proving-ground:[a-zA-Z]*Image:$/ { print $2 }' "$file")
    [ ${#list[@]} -gt 0 ] || die "$file names no proving-ground:*Image"
  else
    list=("$@")
  fi
  [ ${#list[@]} -gt 0 ] || die "usage: kube-local.sh images --stack <name> | <image>..."
  for img in "${list[@]}"; do
    docker image inspect "$img" >/dev/null 2>&1 || die "image $img is not in dockerd (bash scripts/build-ci-images.sh builds the CI images)"
    t0=$(date +%s%N)
    docker save "$img" | ctr --address "$D/containerd.sock" -n k8s.io images import - >/dev/null
    say "image $img imported ($((($(date +%s%N) - t0) / 1000000)) ms)"
  done
}

node_ready() {
  api "/api/v1/nodes/$NODE" | python3 -c 'import json, sys
c = {x["type"]: x["status"] for x in json.load(sys.stdin)["status"]["conditions"]}
sys.exit(0 if c.get("Ready") == "True" else 1)'
}

status() {
  for n in etcd kube-apiserver kube-controller-manager kube-scheduler coredns containerd kubelet kube-proxy; do
    if [ -f "$RUN/$n.pid" ] && kill -0 "$(cat "$RUN/$n.pid")" 2>/dev/null; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"
    else echo "$n: not running"; fi
  done
  echo "kubeconfig: $D/admin.kubeconfig"
}

# stop <name>: SIGTERM, up to 15 s to exit, then SIGKILL.
stop() {
  local pid i
  [ -f "$RUN/$1.pid" ] || return 0
  pid=$(cat "$RUN/$1.pid")
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  say "stopped $1"
}

down() {
  local n c
  for n in kube-proxy kubelet coredns kube-scheduler kube-controller-manager; do stop "$n"; done
  # The pods' processes belong to containerd's shims: kill and delete every task of the k8s.io namespace
  # through our containerd while the API server still runs, then stop containerd and its shims.
  if [ -S "$D/containerd.sock" ]; then
    for c in $(ctr --address "$D/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$D/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
      ctr --address "$D/containerd.sock" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  pkill -9 -f "containerd-shim-runc-v2 .*-address $D/containerd.sock" 2>/dev/null || true
  for n in kube-apiserver etcd; do stop "$n"; done
  # Mounts under our directory (kubelet volumes, containerd snapshots), deepest first.
  awk -v d="$D" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  # The pods' network namespaces (CNI names them cni-*; nothing else on this machine uses CNI).
  for n in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ { print $1 }'); do ip netns delete "$n" || true; done
  ip link del pgk0 2>/dev/null && say "removed bridge pgk0" || true
  # kube-proxy's and the CNI plugins' iptables rules and chains, and our FORWARD rules.
  for t in nat filter mangle; do
    iptables -t $t -S 2>/dev/null | awk '/^-A .*(KUBE-|CNI-|pg-kube-local)/ { sub(/^-A/, "-D"); print }' | while read -r rule; do
      eval "iptables -t $t $rule" 2>/dev/null || true
    done
    for c in $(iptables -t $t -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ { print $2 }'); do iptables -t $t -F "$c" 2>/dev/null || true; done
    for c in $(iptables -t $t -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ { print $2 }'); do iptables -t $t -X "$c" 2>/dev/null || true; done
  done
  # The hostPath provisioner's volumes of claims still there at the end (a deleted claim takes its own).
  rm -rf /var/lib/cni/networks/pg-kube-local /run/containerd/runc/k8s.io /tmp/hostpath_pv "$D"
  docker image rm proving-ground/pause:3.10.1 >/dev/null 2>&1 || true
  say "down: nothing of the cluster left ($D removed)"
}

# leftovers: what `down` must have removed; prints each and exits 1 when anything is left.
leftovers() {
  local left=0
  pgrep -af "$D|kube-local-v" && left=1
  ip link show pgk0 >/dev/null 2>&1 && echo "interface pgk0" && left=1
  ip netns list 2>/dev/null | grep '^cni-' && left=1
  iptables-save 2>/dev/null | grep -E 'KUBE-|CNI-|pg-kube-local' | head -3 && left=1
  grep " $D" /proc/mounts && left=1
  [ -e "$D" ] && echo "$D" && left=1
  [ -e /tmp/hostpath_pv ] && echo /tmp/hostpath_pv && left=1
  [ "$left" = 0 ] && echo "nothing left"
  return $left
}

case "${1:-}" in
  up) up ;;
  images) shift; images "$@" ;;
  status) status ;;
  down) down ;;
  leftovers) leftovers ;;
  *) die "usage: kube-local.sh up|images|status|down|leftovers" ;;
esac
