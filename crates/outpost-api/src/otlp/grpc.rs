//! OTLP/gRPC `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`,
//! with the Collector's 4 MiB message limit. Above it the Collector (gRPC-Go)
//! answers RESOURCE_EXHAUSTED while tonic answers OUT_OF_RANGE, so a layer
//! turns tonic's answer into RESOURCE_EXHAUSTED and counts it as too large.

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use outpost_ingest::{OtlpOptions, write_otlp_metrics};
use outpost_otlp::proto::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use outpost_otlp::proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request as GrpcRequest, Response, Status};

use super::OtlpState;
use crate::body::OTLP_GRPC_MESSAGE_BYTES;

const GRPC_STATUS: &str = "grpc-status";
/// `grpc-status` values: tonic's answer to an over-limit message, and
/// gRPC-Go's.
const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: &str = "8";

struct Metrics(OtlpState);

#[tonic::async_trait]
impl MetricsService for Metrics {
    async fn export(
        &self,
        req: GrpcRequest<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let s = &self.0;
        let st = write_otlp_metrics(
            &s.tsdb,
            req.get_ref(),
            &OtlpOptions::default(),
            s.clock.now_ms(),
        );
        s.otlp.record(&st);
        Ok(Response::new(st.response()))
    }
}

/// The gRPC services of the otlp-grpc listener, as an axum router.
pub fn grpc_router(state: OtlpState) -> Router {
    let counters = state.otlp.clone();
    let svc = MetricsServiceServer::new(Metrics(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(OTLP_GRPC_MESSAGE_BYTES);
    tonic::service::Routes::new(svc)
        .into_axum_router()
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let counters = counters.clone();
            async move {
                let mut resp = next.run(req).await;
                // A refused message gets a trailers-only answer (the status
                // is in the headers). The service itself never answers
                // OUT_OF_RANGE or RESOURCE_EXHAUSTED: those are tonic's size
                // checks (of the message, and of its decompressed size).
                let status = resp.headers().get(GRPC_STATUS).map(|v| v.as_bytes());
                let too_large = match status {
                    Some(s) if s == OUT_OF_RANGE.as_bytes() => {
                        resp.headers_mut()
                            .insert(GRPC_STATUS, HeaderValue::from_static(RESOURCE_EXHAUSTED));
                        true
                    }
                    Some(s) => s == RESOURCE_EXHAUSTED.as_bytes(),
                    None => false,
                };
                if too_large {
                    counters.reject();
                    counters.grpc_too_large.inc();
                }
                resp
            }
        }))
}

#[cfg(test)]
mod tests {
    use outpost_clock::Clock;
    use outpost_otlp::proto::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
    use outpost_otlp::proto::common::v1::any_value::Value;
    use outpost_otlp::proto::common::v1::{AnyValue, KeyValue};
    use outpost_otlp::proto::metrics::v1::ResourceMetrics;
    use outpost_otlp::proto::resource::v1::Resource;

    use tonic::Code;

    use super::*;

    fn with_attribute_of(len: usize) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "blob".into(),
                        value: Some(AnyValue {
                            value: Some(Value::StringValue("x".repeat(len))),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            }],
        }
    }

    /// Messages above the Collector's 4 MiB `max_recv_msg_size` get
    /// RESOURCE_EXHAUSTED and are counted; smaller ones are served.
    #[tokio::test]
    async fn messages_over_4_mib_are_resource_exhausted_and_counted() {
        let s = OtlpState {
            clock: Clock::manual(0),
            tsdb: std::sync::Arc::new(outpost_tsdb::Tsdb::new(Default::default())),
            otlp: Default::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = grpc_router(s.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = MetricsServiceClient::new(channel);
        let ok = client.export(with_attribute_of(3 << 20)).await;
        assert!(ok.is_ok(), "{ok:?}");
        let err = client.export(with_attribute_of(5 << 20)).await.unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
        assert_eq!(s.otlp.grpc_too_large.get(), 1);
        // Gzip-compressed, small on the wire but over the limit inflated.
        let mut gzip = client.send_compressed(CompressionEncoding::Gzip);
        let err = gzip.export(with_attribute_of(5 << 20)).await.unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
        assert!(gzip.export(with_attribute_of(3 << 20)).await.is_ok());
        assert_eq!(s.otlp.grpc_too_large.get(), 2);
        assert_eq!(s.otlp.http_too_large.get(), 0);
    }
}
