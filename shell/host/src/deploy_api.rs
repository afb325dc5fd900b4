//! The deploy API (token required):
//! - `POST /_deploy/apps`: multipart upload, one part per file, the part's file name being
//!   the file's path relative to the app directory (`mfe.json` among them);
//! - `POST /_deploy/apps/{name}/rollback`: the previous version becomes current;
//! - `GET /_deploy/apps`: what is deployed.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use tessera_manifests::ManifestError;
use tessera_manifests::manifest::check_file_path;

use crate::AppState;
use crate::error::ApiError;
use crate::store::{DeployOutcome, DeployedVersion};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_deploy/apps", get(list_apps).post(deploy_app))
        .route("/_deploy/apps/{name}/rollback", post(rollback_app))
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::MissingToken)?;
    let expected = state.deploy_token.expose().as_bytes();
    // Compare in constant time so the token cannot be guessed byte by byte.
    let same = given.len() == expected.len() && given.bytes().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(ApiError::WrongToken) }
}

#[tracing::instrument(skip_all)]
async fn list_apps(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Vec<DeployedVersion>>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(state.store.list().await))
}

#[tracing::instrument(skip_all)]
async fn deploy_app(State(state): State<AppState>, headers: HeaderMap, mut multipart: Multipart) -> Result<(StatusCode, Json<DeployOutcome>), ApiError> {
    authorize(&state, &headers)?;
    let limit = state.store.limits().max_file_bytes;
    let mut files = BTreeMap::new();
    while let Some(mut field) = multipart.next_field().await.map_err(upload_error)? {
        let path = field.file_name().or(field.name()).unwrap_or_default().to_string();
        check_file_path("files", &path)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(upload_error)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > limit {
                return Err(ManifestError::new("upload", format!("`{path}` is over the limit of {limit} bytes per file")).into());
            }
        }
        if files.insert(path.clone(), bytes).is_some() {
            return Err(ApiError::BadUpload(format!("`{path}` was uploaded twice")));
        }
    }
    let outcome = state.store.deploy(files).await?;
    if outcome.changed {
        state.live.composition_changed(&outcome.composition);
        tokio::spawn(async move { crate::assets::prepare_encodings(&state).await });
    }
    let status = if outcome.changed { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(outcome)))
}

fn upload_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ManifestError::new("upload", "the upload is larger than this host accepts").into()
    } else {
        ApiError::BadUpload(format!("the upload is not valid multipart/form-data: {}", error.body_text()))
    }
}

#[tracing::instrument(skip_all, fields(app = %name))]
async fn rollback_app(State(state): State<AppState>, headers: HeaderMap, Path(name): Path<String>) -> Result<Json<DeployOutcome>, ApiError> {
    authorize(&state, &headers)?;
    let outcome = state.store.rollback(&name).await?;
    state.live.composition_changed(&outcome.composition);
    Ok(Json(outcome))
}
