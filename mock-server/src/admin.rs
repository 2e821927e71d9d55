//! The `/_mock/` admin API (JSON). Bucket names cannot begin with `_`, so it never clashes with
//! a bucket.
//!
//! - `GET /_mock/health` — `{"status":"ok","journal":{"entries":N,"dropped":N,"limit":N}}`
//!   (`dropped`: entries the full journal let go since the last reset)
//! - `GET /_mock/state` — a [`crate::service::StateSnapshot`]: buckets, objects, open uploads
//!   with their parts, blob count and bytes (what leak checks read)
//! - `POST /_mock/reset` — removes every bucket, object, upload and blob, the journal and
//!   the fault rules
//! - `GET /_mock/faults` — installed rules with their counters; `POST /_mock/faults` adds one
//!   rule (JSON object) or several (array) in the [`crate::faults::Fault`] schema and answers
//!   their ids; `DELETE /_mock/faults` removes all, `DELETE /_mock/faults/ID` one
//! - `GET /_mock/journal[?op=UploadPart][&since=SEQ]` — journal entries in order; the header
//!   `x-mock-journal-dropped` says how many older ones the full journal let go

use crate::app::App;
use crate::http::response::{self, Response};
use crate::http::RequestHead;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

const MAX_ADMIN_BODY: usize = 1 << 20;

async fn read_body(body: Incoming) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("could not read the request body: {e}"))?;
        if let Ok(d) = frame.into_data() {
            if out.len() + d.len() > MAX_ADMIN_BODY {
                return Err(format!(
                    "admin request bodies are limited to {MAX_ADMIN_BODY} bytes"
                ));
            }
            out.extend_from_slice(&d);
        }
    }
    Ok(out)
}

fn add_faults(app: &App, body: &[u8]) -> Response {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected a JSON fault rule or array of rules: {e}"),
            )
        }
    };
    let rules: Vec<serde_json::Value> = match value {
        serde_json::Value::Array(a) => a,
        v => vec![v],
    };
    let mut parsed = Vec::new();
    for (i, r) in rules.into_iter().enumerate() {
        match serde_json::from_value::<crate::faults::Fault>(r) {
            Ok(f) => match f.validate() {
                Ok(()) => parsed.push(f),
                Err(e) => return error(StatusCode::BAD_REQUEST, format!("rule {i}: {e}")),
            },
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("rule {i}: {e}")),
        }
    }
    let mut ids = Vec::new();
    for f in parsed {
        match app.faults.add(f) {
            Ok(id) => ids.push(id),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    }
    json(StatusCode::CREATED, &serde_json::json!({ "ids": ids }))
}

fn journal_filter(raw_query: &str) -> Result<crate::journal::JournalFilter, String> {
    let mut f = crate::journal::JournalFilter::default();
    if let Some(op) = crate::auth::encoding::query_param(raw_query, "op") {
        f.op = Some(
            crate::ops::OpKind::from_name(&op)
                .ok_or_else(|| format!("unknown operation {op:?}"))?,
        );
    }
    if let Some(s) = crate::auth::encoding::query_param(raw_query, "since") {
        f.since = Some(
            s.parse()
                .map_err(|_| format!("since: expected a sequence number, got {s:?}"))?,
        );
    }
    Ok(f)
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"could not serialise: {e}\"}}").into_bytes());
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(response::full(body))
        .unwrap_or_else(|_| http::Response::new(response::empty()))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(status, &serde_json::json!({ "error": message.into() }))
}

/// Handles an admin request.
pub async fn handle(app: &App, head: &RequestHead, body: Incoming) -> Response {
    if let Some(token) = &app.config.admin_token {
        let bearer = head
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .or_else(|| head.header("x-mock-admin-token"));
        if bearer != Some(token.as_str()) {
            return error(
                StatusCode::UNAUTHORIZED,
                "the admin API requires its token (Authorization: Bearer TOKEN)",
            );
        }
    }
    let path = head.raw_path.trim_end_matches('/');
    match (&head.method, path) {
        (&Method::GET, "/_mock/health") => json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "journal": app.journal.stats()}),
        ),
        (&Method::GET, "/_mock/state") => json(StatusCode::OK, &app.service.snapshot()),
        (&Method::POST, "/_mock/reset") => match app.service.reset() {
            Ok(()) => {
                app.faults.clear();
                app.journal.clear();
                json(StatusCode::OK, &serde_json::json!({"reset": true}))
            }
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        (&Method::GET, "/_mock/faults") => json(StatusCode::OK, &app.faults.list()),
        (&Method::POST, "/_mock/faults") => match read_body(body).await {
            Ok(b) => add_faults(app, &b),
            Err(e) => error(StatusCode::BAD_REQUEST, e),
        },
        (&Method::DELETE, "/_mock/faults") => {
            app.faults.clear();
            json(StatusCode::OK, &serde_json::json!({"cleared": true}))
        }
        (&Method::DELETE, p) if p.starts_with("/_mock/faults/") => {
            match p["/_mock/faults/".len()..].parse::<u64>() {
                Ok(id) if app.faults.remove(id) => json(StatusCode::OK, &serde_json::json!({"removed": id})),
                Ok(id) => error(StatusCode::NOT_FOUND, format!("no fault rule with id {id}")),
                Err(_) => error(StatusCode::BAD_REQUEST, "expected /_mock/faults/ID with a numeric id"),
            }
        }
        (&Method::GET, "/_mock/journal") => match journal_filter(&head.raw_query) {
            Ok(f) => {
                // Read before the entries: a drop in between makes this an undercount, never
                // a claim that entries still listed are gone.
                let dropped = app.journal.dropped();
                let mut r = json(StatusCode::OK, &app.journal.entries(&f));
                r.headers_mut()
                    .insert("x-mock-journal-dropped", http::HeaderValue::from(dropped));
                r
            }
            Err(e) => error(StatusCode::BAD_REQUEST, e),
        },
        (_, "/_mock/health" | "/_mock/state" | "/_mock/reset" | "/_mock/faults" | "/_mock/journal") => {
            error(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {path}", head.method))
        }
        _ => error(StatusCode::NOT_FOUND, format!("no admin endpoint {path}; see /_mock/health, /_mock/state, /_mock/reset, /_mock/faults, /_mock/journal")),
    }
}
