//! Prometheus metrics: request rate, latency and errors per route, plus the event counters
//! the outbox and listener record (`events_produced_total`, `events_consumed_total`,
//! `events_consumer_lag`), and refused bearer tokens (`bff_auth_refused_total{reason}`).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder (installed once, shared by every BFF in a test process).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
                .expect("valid buckets")
                .install_recorder()
                .expect("the metrics recorder installs once")
        })
        .clone()
}

/// Middleware recording every request.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    ::metrics::counter!("http_requests_total", &labels).increment(1);
    ::metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    if response.status().is_server_error() {
        ::metrics::counter!("http_errors_total", &labels).increment(1);
    }
    response
}

/// A bearer token was refused; `reason` is [`tessera_auth::AuthError::reason`], a small fixed set.
pub fn auth_refused(reason: &'static str) {
    ::metrics::counter!("bff_auth_refused_total", "reason" => reason).increment(1);
}
