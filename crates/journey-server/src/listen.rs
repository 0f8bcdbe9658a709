//! The HTTP listener. Connections that send nothing must not starve the ones that do:
//! request headers must arrive within [`HEADER_READ_TIMEOUT`] (idle keep-alive
//! included), open connections are capped below the process's file limit, and at the
//! cap the oldest connection with no request under way, or whose request's body is
//! still arriving, is closed to admit a new one.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// A request's headers (or, on a kept-alive connection, the next request's) must
/// arrive within this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections still open this long after shutdown began are dropped: a client that
/// reads its answer slowly must not keep SIGTERM from stopping the server within 5 s.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// File descriptors kept back from connections for the database, logs and sends.
const RESERVED_FILES: u64 = 128;

/// The most connections to hold open: the file limit, raised to its hard maximum,
/// less what the rest of the server needs.
pub fn connection_cap() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .ok()
        .or_else(|| {
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|l| l.0)
        })
        .unwrap_or(1024);
    let cap = limit.saturating_sub(RESERVED_FILES).max(limit / 2).max(8);
    usize::try_from(cap.min(65_536)).unwrap_or(65_536)
}

struct Connection {
    /// Requests being answered on it; 0 means it may be closed to make room.
    in_flight: Arc<AtomicUsize>,
    /// Requests whose body is still arriving: nothing of them is acknowledged yet, so
    /// the connection may be closed to make room too (a slow sender must not hold it).
    arriving: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

/// Open connections by accept order (oldest first).
#[derive(Default)]
struct Open {
    next: u64,
    connections: BTreeMap<u64, Connection>,
}

fn lock(open: &Mutex<Open>) -> MutexGuard<'_, Open> {
    open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves `router` on `listener` until `shutdown`, then lets requests under way
/// finish (up to [`DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cap: usize,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Mutex::new(Open::default()));
    let closed = Arc::new(Notify::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of files or a connection reset before accept: wait, go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (id, in_flight, arriving, close) = {
            let mut open = lock(&open);
            if open.connections.len() >= cap {
                make_room(&mut open);
            }
            let id = open.next;
            open.next += 1;
            let connection = Connection {
                in_flight: Arc::new(AtomicUsize::new(0)),
                arriving: Arc::new(AtomicUsize::new(0)),
                close: Arc::new(Notify::new()),
            };
            let handles = (
                connection.in_flight.clone(),
                connection.arriving.clone(),
                connection.close.clone(),
            );
            open.connections.insert(id, connection);
            (id, handles.0, handles.1, handles.2)
        };
        let router = router.clone();
        let open = open.clone();
        let closed = closed.clone();
        tokio::spawn(async move {
            let (counted, receiving) = (in_flight.clone(), arriving.clone());
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let busy = InFlight::start(&counted);
                let body_arriving = (!http_body::Body::is_end_stream(request.body()))
                    .then(|| InFlight::start(&receiving));
                let mut request = request.map(|body| {
                    axum::body::Body::new(Arriving {
                        body,
                        arriving: body_arriving,
                    })
                });
                // The console's rate limits and audit log need the client's address.
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let answer = router.clone().oneshot(request);
                async move {
                    // Busy until hyper has written the whole body and dropped it.
                    let response = answer.await?;
                    Ok::<_, std::convert::Infallible>(
                        response.map(|body| axum::body::Body::new(Guarded { body, _busy: busy })),
                    )
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = close.notified() => {
                    // Idle (half-open, or kept alive between requests), or a request
                    // still arriving: close now. Busy: finish the answer first.
                    if in_flight.load(Ordering::SeqCst) > 0
                        && arriving.load(Ordering::SeqCst) == 0
                    {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(DRAIN_TIMEOUT, connection).await;
                    }
                }
            }
            lock(&open).connections.remove(&id);
            closed.notify_waiters();
        });
    }
    // Stop every connection: idle ones close now, busy ones after their answer.
    let mut deadline = std::pin::pin!(tokio::time::sleep(DRAIN_TIMEOUT));
    loop {
        let mut wait = std::pin::pin!(closed.notified());
        wait.as_mut().enable();
        {
            let open = lock(&open);
            if open.connections.is_empty() {
                return;
            }
            for connection in open.connections.values() {
                connection.close.notify_one();
            }
        }
        tokio::select! {
            () = wait => {}
            () = &mut deadline => return,
        }
    }
}

/// Closes the oldest connection that has no request under way (a half-open one, or
/// one kept alive between requests) or whose request's body is still arriving. When
/// every one is answering, the new connection is admitted above the cap: answers end
/// soon, idle connections and slow senders might never.
fn make_room(open: &mut Open) {
    let idle = open
        .connections
        .iter()
        .find(|(_, c)| {
            c.in_flight.load(Ordering::SeqCst) == 0 || c.arriving.load(Ordering::SeqCst) > 0
        })
        .map(|(id, _)| *id);
    if let Some(id) = idle
        && let Some(connection) = open.connections.remove(&id)
    {
        connection.close.notify_one();
    }
}

/// Counts a request while it lives: as under way, or as still arriving.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(counter: &Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::SeqCst);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request counted until it is dropped.
struct Guarded {
    body: axum::body::Body,
    _busy: InFlight,
}

impl http_body::Body for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A request body that counts its request as arriving until all of it has come in
/// (or it was dropped unread).
struct Arriving {
    body: Incoming,
    arriving: Option<InFlight>,
}

impl http_body::Body for Arriving {
    type Data = axum::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let frame = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if matches!(frame, std::task::Poll::Ready(None | Some(Err(_)))) || self.body.is_end_stream()
        {
            self.arriving = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
