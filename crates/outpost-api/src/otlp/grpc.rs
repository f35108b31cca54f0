//! OTLP/gRPC `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`.

use axum::Router;
use outpost_ingest::otlp_proto::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use outpost_ingest::otlp_proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use outpost_ingest::{OtlpOptions, write_otlp_metrics};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::OtlpState;

struct Metrics(OtlpState);

#[tonic::async_trait]
impl MetricsService for Metrics {
    async fn export(
        &self,
        req: Request<ExportMetricsServiceRequest>,
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
    let svc = MetricsServiceServer::new(Metrics(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(32 << 20);
    tonic::service::Routes::new(svc).into_axum_router()
}
