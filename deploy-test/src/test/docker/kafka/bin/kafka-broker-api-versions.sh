#!/bin/sh
# As Kafka's bin/kafka-broker-api-versions.sh: the tool's main class on the broker's class path.
exec java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlogback.configurationFile=/opt/kafka/config/logback.xml -cp "/opt/kafka/libs/*" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
