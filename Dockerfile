# LayerAtlas images, from the jars the Maven build made (build them first: ./mvnw -B -DskipTests package).
#   docker build --target agent -t layeratlas-agent .   the slim agent that goes on every host (agent, scan)
#   docker build -t layeratlas .                        every process (indexer, dashboard, agent, up, …)
# RUNTIME_IMAGE is any image with a Java 17+ `java` on PATH and useradd; the official one by default. The
# containerized deployment test builds these same targets on its own offline Debian image.
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${RUNTIME_IMAGE} AS agent
RUN useradd --system --uid 10001 layeratlas
COPY agent/target/layeratlas-agent.jar /opt/layeratlas/layeratlas-agent.jar
# The agent reads /var/lib/docker (mounted read-only) or the Docker socket; it keeps its generation counter here.
VOLUME /var/lib/layeratlas
ENV LAYERATLAS_STATE_DIR=/var/lib/layeratlas
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/layeratlas/layeratlas-agent.jar"]
CMD ["agent"]

FROM ${RUNTIME_IMAGE} AS layeratlas
RUN useradd --system --uid 10001 layeratlas
COPY app/target/layeratlas.jar /opt/layeratlas/layeratlas.jar
VOLUME /var/lib/layeratlas
ENV LAYERATLAS_STATE_DIR=/var/lib/layeratlas
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/layeratlas/layeratlas.jar"]
CMD ["--help"]
