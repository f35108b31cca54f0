# Outpost in a small runtime image. Build: docker build -t outpost .
# Run the embedded stack:  docker run --rm -p 9090:9090 -p 9093:9093 outpost
# Run your own configs:    docker run --rm -v "$PWD/monitoring-configs:/configs:ro" -p 9090:9090 outpost serve /configs --bind 0.0.0.0
# The image binds 0.0.0.0, so /-/reload and /-/quit stay off unless you add
# --web.enable-lifecycle (as Prometheus); edits to mounted files are picked up
# by --config.auto-reload-interval (1s) without it.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p outpost

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home outpost
COPY --from=build /src/target/release/outpost /usr/local/bin/outpost
USER outpost
# prometheus, alertmanager, otlp-grpc, otlp-http, jaeger-query,
# jaeger-collector-http, jaeger-collector-grpc, zipkin, elasticsearch, beats
EXPOSE 9090 9093 4317 4318 16686 14268 14250 9411 9200 5044
ENTRYPOINT ["outpost"]
CMD ["serve", "--bind", "0.0.0.0"]
