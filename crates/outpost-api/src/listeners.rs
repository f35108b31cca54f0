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

/// The listeners, one per real component's port. The binary decides which
/// API families' routers are merged on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listener {
    /// Prometheus (9090).
    Prometheus,
    /// Alertmanager (9093).
    Alertmanager,
    /// OTLP gRPC receiver (4317).
    OtlpGrpc,
    /// OTLP HTTP receiver (4318).
    OtlpHttp,
    /// Jaeger query API and UI (16686).
    JaegerQuery,
    /// Jaeger collector, Thrift over HTTP (14268).
    JaegerCollectorHttp,
    /// Jaeger collector, gRPC (14250).
    JaegerCollectorGrpc,
    /// Zipkin span receiver (9411).
    Zipkin,
    /// Elasticsearch API (9200).
    Elasticsearch,
    /// Logstash Beats input (5044).
    Beats,
}

impl Listener {
    /// This listener's row of [`LISTENERS`].
    pub fn spec(self) -> &'static ListenerSpec {
        LISTENERS
            .iter()
            .find(|l| l.listener == self)
            .expect("every listener has a row in LISTENERS")
    }

    /// The name used by `--listen NAME=...` and in the ports file.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// One listener: its fixed name, the real component's default port, its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSpec {
    /// Which listener.
    pub listener: Listener,
    /// Name used by `--listen NAME=...` and in the ports file.
    pub name: &'static str,
    /// Default port.
    pub port: u16,
    /// Wire protocol.
    pub protocol: Protocol,
    /// What it stands in for.
    pub stands_in_for: &'static str,
}

/// Every listener, in start order.
pub const LISTENERS: &[ListenerSpec] = &[
    ListenerSpec {
        listener: Listener::Prometheus,
        name: "prometheus",
        port: 9090,
        protocol: Protocol::Http,
        stands_in_for: "Prometheus HTTP API, remote write, /metrics",
    },
    ListenerSpec {
        listener: Listener::Alertmanager,
        name: "alertmanager",
        port: 9093,
        protocol: Protocol::Http,
        stands_in_for: "Alertmanager API v2",
    },
    ListenerSpec {
        listener: Listener::OtlpGrpc,
        name: "otlp-grpc",
        port: 4317,
        protocol: Protocol::Grpc,
        stands_in_for: "OTLP gRPC receiver",
    },
    ListenerSpec {
        listener: Listener::OtlpHttp,
        name: "otlp-http",
        port: 4318,
        protocol: Protocol::Http,
        stands_in_for: "OTLP HTTP receiver",
    },
    ListenerSpec {
        listener: Listener::JaegerQuery,
        name: "jaeger-query",
        port: 16686,
        protocol: Protocol::Http,
        stands_in_for: "Jaeger query API",
    },
    ListenerSpec {
        listener: Listener::JaegerCollectorHttp,
        name: "jaeger-collector-http",
        port: 14268,
        protocol: Protocol::Http,
        stands_in_for: "Jaeger collector HTTP",
    },
    ListenerSpec {
        listener: Listener::JaegerCollectorGrpc,
        name: "jaeger-collector-grpc",
        port: 14250,
        protocol: Protocol::Grpc,
        stands_in_for: "Jaeger collector gRPC",
    },
    ListenerSpec {
        listener: Listener::Zipkin,
        name: "zipkin",
        port: 9411,
        protocol: Protocol::Http,
        stands_in_for: "Zipkin span receiver",
    },
    ListenerSpec {
        listener: Listener::Elasticsearch,
        name: "elasticsearch",
        port: 9200,
        protocol: Protocol::Http,
        stands_in_for: "Elasticsearch API",
    },
    ListenerSpec {
        listener: Listener::Beats,
        name: "beats",
        port: 5044,
        protocol: Protocol::Tcp,
        stands_in_for: "Logstash Beats input",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listener_has_one_row() {
        for l in LISTENERS {
            assert_eq!(l.listener.spec(), l);
            assert_eq!(LISTENERS.iter().filter(|x| x.name == l.name).count(), 1);
        }
        assert_eq!(Listener::OtlpGrpc.name(), "otlp-grpc");
        assert_eq!(Listener::Beats.spec().protocol, Protocol::Tcp);
    }
}
