# The LayerAtlas image: one image, every process (`agent`, `indexer`, `dashboard`, `up`).
# Build: docker build -t layeratlas .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 layeratlas
COPY --from=build /src/app/target/layeratlas.jar /opt/layeratlas/layeratlas.jar
# The agent reads /var/lib/docker (mounted read-only) or the Docker socket; it keeps its generation counter here.
VOLUME /var/lib/layeratlas
ENV LAYERATLAS_STATE_DIR=/var/lib/layeratlas
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/layeratlas/layeratlas.jar"]
CMD ["--help"]
