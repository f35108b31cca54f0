//! OTLP/gRPC `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`,
//! with the Collector's 4 MiB message limit (tonic answers
//! RESOURCE_EXHAUSTED above it; such answers are counted as too large).

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use outpost_ingest::{OtlpOptions, write_otlp_metrics};
use outpost_otlp::proto::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use outpost_otlp::proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Request as GrpcRequest, Response, Status};

use crate::AppState;
use crate::body::OTLP_GRPC_MESSAGE_BYTES;

struct Metrics(AppState);

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
pub(crate) fn grpc_router(state: AppState) -> Router {
    let counters = state.otlp.clone();
    let svc = MetricsServiceServer::new(Metrics(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(OTLP_GRPC_MESSAGE_BYTES);
    let resource_exhausted = (Code::ResourceExhausted as i32).to_string();
    tonic::service::Routes::new(svc)
        .into_axum_router()
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let counters = counters.clone();
            let resource_exhausted = resource_exhausted.clone();
            async move {
                let resp = next.run(req).await;
                // A refused message is a trailers-only answer: the status is
                // in the headers. The service itself never exhausts resources.
                if resp
                    .headers()
                    .get("grpc-status")
                    .is_some_and(|v| v.as_bytes() == resource_exhausted.as_bytes())
                {
                    counters.reject();
                    counters.grpc_too_large.inc();
                }
                resp
            }
        }))
}
