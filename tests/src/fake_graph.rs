//! A fake WhatsApp Graph API for tests of `journey serve`: it records every request,
//! answers like the real API (fixtures 27 and 28), and fails or slows down on demand.
//! It runs on loopback in its own thread and outlives the servers it serves, so a crash
//! test can count what each idempotency key was sent.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Request {
    pub phone_number_id: String,
    pub authorization: String,
    pub body: Value,
    pub at: Instant,
}

impl Request {
    /// Our outbox key, sent as `biz_opaque_callback_data`.
    pub fn key(&self) -> Option<&str> {
        self.body["biz_opaque_callback_data"].as_str()
    }

    pub fn text(&self) -> Option<&str> {
        self.body["text"]["body"]
            .as_str()
            .or(self.body["interactive"]["body"]["text"].as_str())
    }

    pub fn to(&self) -> &str {
        self.body["to"]
            .as_str()
            .or(self.body["recipient"].as_str())
            .unwrap_or_default()
    }
}

/// A failure to answer with, instead of success.
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: u16,
    /// Meta's error code: 130429 throttles, 131047 is permanent, …
    pub code: i64,
}

/// A request to `/api/…`: a journey's own HTTP call, as the service behind it sees it.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// The path and query.
    pub uri: String,
    pub authorization: String,
}

#[derive(Default)]
struct Shared {
    requests: Vec<Request>,
    api: Vec<ApiRequest>,
    failures: VecDeque<Failure>,
    latency: Duration,
    next_id: u64,
}

pub struct FakeGraph {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    _runtime: tokio::runtime::Runtime,
}

impl FakeGraph {
    pub fn start() -> FakeGraph {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime for the fake Graph API");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/{phone}/messages", post(messages))
            .route("/api/{*rest}", axum::routing::any(api))
            .with_state(shared.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port for the fake Graph API");
        let address: SocketAddr = listener.local_addr().expect("its address");
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeGraph {
            url: format!("http://{address}"),
            shared,
            _runtime: runtime,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().unwrap().requests.clone()
    }

    /// The journeys' own HTTP calls to `/api/…`, in order.
    pub fn api_requests(&self) -> Vec<ApiRequest> {
        self.shared.lock().unwrap().api.clone()
    }

    /// Requests to one contact.
    pub fn sent_to(&self, contact: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.to() == contact)
            .collect()
    }

    /// The next requests fail like this, in order.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        self.shared.lock().unwrap().failures.extend(failures);
    }

    /// Every answer waits this long first.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().unwrap().latency = latency;
    }

    /// How many times each idempotency key was sent.
    pub fn sends_by_key(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for request in self.requests() {
            if let Some(key) = request.key() {
                *counts.entry(key.to_owned()).or_default() += 1;
            }
        }
        counts
    }

    /// Waits until `check` holds of the requests, or panics after `timeout`.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&[Request]) -> bool,
    ) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if check(&requests) {
                return requests;
            }
            if Instant::now() > deadline {
                let texts: Vec<String> = requests.iter().map(|r| r.body.to_string()).collect();
                panic!(
                    "timed out waiting for {what}; the fake got:\n{}",
                    texts.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn messages(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(phone): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (latency, failure, id) = {
        let mut shared = shared.lock().unwrap();
        shared.next_id += 1;
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        shared.requests.push(Request {
            phone_number_id: phone,
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body,
            at: Instant::now(),
        });
        (shared.latency, shared.failures.pop_front(), shared.next_id)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match failure {
        // Fixture 28's shape.
        Some(failure) => (
            StatusCode::from_u16(failure.status).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(json!({"error": {
                "message": format!("(#{}) injected", failure.code),
                "type": "OAuthException",
                "code": failure.code,
                "error_data": {"messaging_product": "whatsapp", "details": "injected by the test"},
                "fbtrace_id": "FAKE"
            }})),
        )
            .into_response(),
        // Fixture 27's shape.
        None => axum::Json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": format!("wamid.FAKE{id}")}]
        }))
        .into_response(),
    }
}

/// Stands for a service a journey calls: records the call, answers `{"ok": true}`.
async fn api(
    State(shared): State<Arc<Mutex<Shared>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shared.lock().unwrap().api.push(ApiRequest {
        uri: uri.to_string(),
        authorization,
    });
    axum::Json(json!({"ok": true})).into_response()
}
