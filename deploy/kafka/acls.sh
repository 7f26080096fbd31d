#!/usr/bin/env bash
# The LayerAtlas trust boundary on Kafka, as ACLs (run once per cluster and topic prefix, by a Kafka admin).
#
# Any producer that can write the inventory topics can speak for any host, so:
#   agents    write  the inventory topics (image configs, host layers, host-layers resend, layer packages), heartbeats;
#             nothing else, and read nothing;
#   indexers  read   those topics (their consumer group), write the dead-letter topic, create the topics;
#   nobody else writes any of them. Kafka denies whatever no ACL allows (with an authorizer configured and
#   allow.everyone.if.no.acl.found=false, the default), so the script only adds ALLOW rules: check with
#   `acls.sh list` that no other principal holds WRITE on these topics.
#
# Usage: acls.sh add|remove|list
# Environment (defaults in brackets):
#   BOOTSTRAP_SERVERS    broker to talk to                                           [localhost:9092]
#   COMMAND_CONFIG       admin client properties (TLS/SASL of the admin principal)   [none]
#   TOPIC_PREFIX         the agents' and indexers' --topic-prefix                    []
#   AGENT_PRINCIPAL      principal of every agent (the user of its SASL credentials) [User:layeratlas-agent]
#   INDEXER_PRINCIPAL    principal of every indexer                                  [User:layeratlas-indexer]
#   INDEXER_GROUP        the indexers' --group-id                                    [layeratlas-indexer]
#   KAFKA_ACLS           the kafka-acls command                                      [kafka-acls.sh]
set -euo pipefail

action=${1:-}
case "$action" in
  add|remove|list) ;;
  *) echo "usage: $0 add|remove|list   (settings from the environment; see the header of this file)" >&2; exit 2 ;;
esac

bootstrap=${BOOTSTRAP_SERVERS:-localhost:9092}
prefix=${TOPIC_PREFIX:-}
agent=${AGENT_PRINCIPAL:-User:layeratlas-agent}
indexer=${INDEXER_PRINCIPAL:-User:layeratlas-indexer}
group=${INDEXER_GROUP:-layeratlas-indexer}
read -r -a acls <<< "${KAFKA_ACLS:-kafka-acls.sh}"

# The topics of the contract (events/README.md), agent-written. host-layers-resend carries the agents' periodic
# full resends of host snapshots where a deployment separates them from changes.
inventory=(
  "${prefix}layeratlas.image-configs"
  "${prefix}layeratlas.host-layers"
  "${prefix}layeratlas.host-layers-resend"
  "${prefix}layeratlas.heartbeats"
  "${prefix}layeratlas.layer-packages"
)
dead_letter="${prefix}layeratlas.dead-letter"

kafka_acls() {
  local args=(--bootstrap-server "$bootstrap")
  [ -n "${COMMAND_CONFIG:-}" ] && args+=(--command-config "$COMMAND_CONFIG")
  "${acls[@]}" "${args[@]}" "$@"
}

change() { # $1 = --add|--remove, the rest: one ACL
  local op=$1; shift
  if [ "$op" = --remove ]; then
    kafka_acls --remove --force "$@"
  else
    kafka_acls --add "$@"
  fi
}

if [ "$action" = list ]; then
  for t in "${inventory[@]}" "$dead_letter"; do
    kafka_acls --list --topic "$t"
  done
  kafka_acls --list --group "$group"
  exit 0
fi

op=--$action
for t in "${inventory[@]}"; do
  # Agents: produce (WRITE; DESCRIBE for metadata). Idempotent producers need nothing more since Kafka 3.0.
  change "$op" --allow-principal "$agent" --operation Write --operation Describe --topic "$t"
  # Indexers: consume, and create the topic if it is missing (TopicSetup).
  change "$op" --allow-principal "$indexer" --operation Read --operation Describe --operation Create --topic "$t"
done
# Indexers dead-letter what they cannot apply, and create that topic too; agents never touch it.
change "$op" --allow-principal "$indexer" --operation Write --operation Describe --operation Create --topic "$dead_letter"
# The indexers' consumer group (offsets also live in PostgreSQL; Kafka's copy is for lag tools).
change "$op" --allow-principal "$indexer" --operation Read --operation Describe --group "$group"
