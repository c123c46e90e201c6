# The demo service, built from this repository (used by docker-compose.yml).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -q -B -pl demo -am -Dmaven.test.skip package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/demo/target/nearcache-demo-*.jar /app/demo.jar
COPY --from=build /src/demo/target/lib /app/lib
EXPOSE 8080
ENTRYPOINT ["java", "-cp", "/app/demo.jar:/app/lib/*", "dev.nearcache.demo.DemoMain"]
