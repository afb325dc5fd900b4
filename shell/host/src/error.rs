//! The host's errors and how they map to HTTP, without leaking internals.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_manifests::{ComposeError, ManifestError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a deploy token is required (Authorization: Bearer <token>)")]
    MissingToken,
    #[error("the deploy token is wrong")]
    WrongToken,
    #[error("{0}")]
    InvalidManifest(ManifestError),
    #[error("{0}")]
    TooLarge(ManifestError),
    #[error("{0}")]
    Collision(ComposeError),
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    #[error("{0}")]
    BadUpload(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadGateway(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ManifestError> for ApiError {
    fn from(error: ManifestError) -> Self {
        if error.field == "upload" { Self::TooLarge(error) } else { Self::InvalidManifest(error) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, field, reason) = match &self {
            Self::MissingToken => (StatusCode::UNAUTHORIZED, None, self.to_string()),
            Self::WrongToken => (StatusCode::FORBIDDEN, None, self.to_string()),
            Self::InvalidManifest(e) => (StatusCode::UNPROCESSABLE_ENTITY, Some(e.field.clone()), e.reason.clone()),
            Self::TooLarge(e) => (StatusCode::PAYLOAD_TOO_LARGE, Some(e.field.clone()), e.reason.clone()),
            Self::Collision(e) => (StatusCode::CONFLICT, Some(e.field()), e.to_string()),
            Self::Conflict { field, reason } => (StatusCode::CONFLICT, Some(field.clone()), reason.clone()),
            Self::BadUpload(reason) => (StatusCode::BAD_REQUEST, None, reason.clone()),
            Self::NotFound(reason) => (StatusCode::NOT_FOUND, None, reason.clone()),
            Self::Forbidden(reason) => (StatusCode::FORBIDDEN, None, reason.clone()),
            Self::BadGateway(reason) => (StatusCode::BAD_GATEWAY, None, reason.clone()),
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, None, "something went wrong on the server".to_string())
            }
        };
        let body = match field {
            Some(field) => json!({ "error": format!("{field}: {reason}"), "field": field, "reason": reason }),
            None => json!({ "error": reason }),
        };
        (status, Json(body)).into_response()
    }
}
