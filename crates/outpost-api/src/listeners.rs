//! The listeners Outpost opens, named and numbered after the real components.

/// Wire protocol of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 and HTTP/2 (h2c), served by axum.
    Http,
    /// gRPC over HTTP/2; answers health over HTTP too until its services land.
    Grpc,
    /// A raw TCP protocol (Beats/Lumberjack).
    Tcp,
}

/// One listener: its fixed name, the real component's default port, its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSpec {
    /// Name used by `--listen NAME=...` and in the ports file.
    pub name: &'static str,
    /// Default port.
    pub port: u16,
    /// Protocol.
    pub protocol: Protocol,
    /// What it stands in for.
    pub stands_in_for: &'static str,
}

/// Every listener, in start order.
pub const LISTENERS: &[ListenerSpec] = &[
    ListenerSpec {
        name: "prometheus",
        port: 9090,
        protocol: Protocol::Http,
        stands_in_for: "Prometheus HTTP API, remote write, /metrics",
    },
    ListenerSpec {
        name: "alertmanager",
        port: 9093,
        protocol: Protocol::Http,
        stands_in_for: "Alertmanager API v2",
    },
    ListenerSpec {
        name: "otlp-grpc",
        port: 4317,
        protocol: Protocol::Grpc,
        stands_in_for: "OTLP gRPC receiver",
    },
    ListenerSpec {
        name: "otlp-http",
        port: 4318,
        protocol: Protocol::Http,
        stands_in_for: "OTLP HTTP receiver",
    },
    ListenerSpec {
        name: "jaeger-query",
        port: 16686,
        protocol: Protocol::Http,
        stands_in_for: "Jaeger query API",
    },
    ListenerSpec {
        name: "jaeger-collector-http",
        port: 14268,
        protocol: Protocol::Http,
        stands_in_for: "Jaeger collector HTTP",
    },
    ListenerSpec {
        name: "jaeger-collector-grpc",
        port: 14250,
        protocol: Protocol::Grpc,
        stands_in_for: "Jaeger collector gRPC",
    },
    ListenerSpec {
        name: "zipkin",
        port: 9411,
        protocol: Protocol::Http,
        stands_in_for: "Zipkin span receiver",
    },
    ListenerSpec {
        name: "elasticsearch",
        port: 9200,
        protocol: Protocol::Http,
        stands_in_for: "Elasticsearch API",
    },
    ListenerSpec {
        name: "beats",
        port: 5044,
        protocol: Protocol::Tcp,
        stands_in_for: "Logstash Beats input",
    },
];
