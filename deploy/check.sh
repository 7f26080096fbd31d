#!/usr/bin/env bash
# Checks the deployment files with their own ecosystems' tools (CI runs this; .ci/run installs the tools from
# Debian's packages). Any finding fails, including those the tools only print:
#   systemd-analyze verify   the agent's unit (systemd 252: unknown keys and bad values are printed, exit 0)
#   ansible-playbook         --syntax-check of the rollout playbook
#   yamllint                 every YAML file under deploy/ and docker-compose.yml (.yamllint at the root)
#   docker-compose config    the compose file against Compose's schema (Debian's docker-compose 1.29 predates the
#                            top-level `name:` key, so that one line is left out of what it reads)
#   shell scripts            the rollout script and the deployment test's image scripts, by ShellCheck (warnings, errors)
# The Kubernetes manifest has no offline schema tool in Debian: yamllint here, and its values are checked against
# the agent's options by DeploymentFilesTest.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
failed=0
check() { # NAME COMMAND...: fails on a non-zero exit or on any output
  local name=$1; shift
  local out
  if ! out=$("$@" 2>&1) || [ -n "$out" ]; then
    echo "deploy/check: $name FAILED" >&2
    [ -n "$out" ] && printf '%s\n' "$out" >&2
    failed=1
  else
    echo "deploy/check: $name ok"
  fi
}
check "systemd-analyze verify layeratlas-agent.service" systemd-analyze verify deploy/systemd/layeratlas-agent.service
check "ansible-playbook --syntax-check agent.yml" \
  sh -c 'cd deploy/rollout && ANSIBLE_NOCOLOR=1 ansible-playbook --syntax-check -i inventory.example.ini agent.yml >/dev/null'
check "yamllint" yamllint -s -c .yamllint deploy docker-compose.yml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^name:' docker-compose.yml > "$tmp/docker-compose.yml"
cp .dockerignore "$tmp/" 2>/dev/null
check "docker-compose config" docker-compose --project-directory "$root" -f "$tmp/docker-compose.yml" config -q
check "shellcheck" shellcheck -S warning deploy/check.sh deploy/rollout/kubernetes-rollout.sh \
  deploy-test/src/test/docker/postgres/docker-entrypoint.sh deploy-test/src/test/docker/kafka/run \
  deploy-test/src/test/docker/kafka/bin/kafka-broker-api-versions.sh
exit $failed
