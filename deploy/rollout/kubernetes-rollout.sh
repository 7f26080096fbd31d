#!/bin/sh
# Rolls the agent DaemonSet out (or upgrades it) and waits until every node's agent is ready.
#   deploy/rollout/kubernetes-rollout.sh [IMAGE]     e.g. layeratlas/layeratlas-agent:0.2.0
# The DaemonSet replaces a tenth of the nodes at a time (maxUnavailable: 10%); a pod whose /healthz fails
# stops the rollout, and `kubectl -n layeratlas rollout undo daemonset/layeratlas-agent` goes back.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kubectl apply -f "$here/../kubernetes/agent-daemonset.yaml"
if [ $# -ge 1 ]; then
  kubectl -n layeratlas set image daemonset/layeratlas-agent agent="$1"
fi
# Configuration lives in the ConfigMap and Secret: restart the pods so they read the new values.
kubectl -n layeratlas rollout restart daemonset/layeratlas-agent
kubectl -n layeratlas rollout status daemonset/layeratlas-agent --timeout=30m
