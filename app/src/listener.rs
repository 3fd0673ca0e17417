//! Accepting and serving connections with bounds, so no client can take the node down by holding
//! sockets: at most `max_connections` are served at once (one more is answered 503 and closed;
//! past a small allowance of those, excess sockets are closed at accept); a request head must
//! arrive within `header_read_timeout` of the server starting to wait for it (a new connection, or
//! the previous response on a keep-alive one), which bounds both slow-header (slowloris) clients
//! and idle keep-alive connections; and a connection on which no byte moves for `idle_timeout`
//! (a stalled body, a client that stops reading its response) is closed. An accept error (out of
//! file descriptors) backs off instead of spinning.

use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, Response};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Connection bounds (`JOBIN_MAX_CONNECTIONS`, `JOBIN_HEADER_READ_TIMEOUT_SECS`,
/// `JOBIN_IDLE_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// File descriptors kept for everything but client sockets (database pool, Redis, files, the
/// 503 answers to excess connections).
pub const RESERVED_FDS: u64 = 256;
/// Excess connections answered 503 at once; beyond them an excess socket is closed unanswered.
const REFUSALS_IN_FLIGHT: usize = 64;
/// How long an excess connection may take to be read and answered.
const REFUSAL_BUDGET: Duration = Duration::from_millis(500);
/// Pause after an accept error (out of file descriptors, …) before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// In-flight requests get this long to finish after the shutdown signal.
pub const DRAIN: Duration = Duration::from_secs(10);

const BUSY: &str = "{\"error\":\"The server is at its connection limit; retry shortly.\",\
\"code\":\"dependency_unavailable\",\"details\":{\"reason\":\"connection_limit\"},\"request_id\":\"\"}";

/// Raises this process's soft limit of open files to its hard limit and returns the soft limit
/// now in force (`None` where the platform has no such limit or it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "could not raise the open-files limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    None
}

/// `wanted` connections, or fewer when the open-files limit cannot hold them with the reserve.
pub fn connection_cap(wanted: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(limit) => wanted.min(usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)).max(1),
        None => wanted.max(1),
    }
}

/// Serves `endpoint` on `listener` until `shutdown` resolves, then gives in-flight requests
/// [`DRAIN`] to finish.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    E: Endpoint<Output = Response> + 'static,
{
    let endpoint = Arc::new(endpoint);
    let local = LocalAddr(poem::Addr::SocketAddr(listener.local_addr()?));
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    let tracker = TaskTracker::new();
    let stop = CancellationToken::new();
    let mut last_accept_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    if last_accept_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!(error = %e, "accepting a connection failed (out of file descriptors?); backing off");
                        last_accept_warning = Some(Instant::now());
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // At the cap: answer 503 while few such answers are in flight, else just close.
            if let Ok(refusal) = refusals.clone().try_acquire_owned() {
                tracker.spawn(async move {
                    let _ = tokio::time::timeout(REFUSAL_BUDGET, refuse(stream)).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let endpoint = endpoint.clone();
        let local = local.clone();
        let remote = RemoteAddr(poem::Addr::SocketAddr(remote));
        let stop = stop.clone();
        tracker.spawn(async move {
            serve_connection(stream, endpoint, local, remote, settings, stop).await;
            drop(slot);
        });
    }
    stop.cancel();
    tracker.close();
    if tokio::time::timeout(DRAIN, tracker.wait()).await.is_err() {
        tracing::warn!("requests still running after the drain period were cut off");
    }
    Ok(())
}

/// Reads what the client sent (briefly) and answers 503 with the error envelope.
async fn refuse(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n",
        BUSY.len()
    );
    if stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(BUSY.as_bytes()).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

async fn serve_connection<E>(
    stream: TcpStream,
    endpoint: Arc<E>,
    local: LocalAddr,
    remote: RemoteAddr,
    settings: ConnectionSettings,
    stop: CancellationToken,
) where
    E: Endpoint<Output = Response> + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let endpoint = endpoint.clone();
        let req = poem::Request::from((req, local.clone(), remote.clone(), poem::http::uri::Scheme::HTTP));
        async move {
            let resp = endpoint.get_response(req).await;
            Ok::<_, Infallible>(hyper::Response::<http_body_util::combinators::BoxBody<Bytes, io::Error>>::from(resp))
        }
    });
    let io = TokioIo::new(IdleTimeout::new(stream, settings.idle_timeout));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A socket that fails with `TimedOut` once no byte has moved in either direction for `limit`.
struct IdleTimeout<T> {
    inner: T,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self { inner, limit, deadline: Box::pin(tokio::time::sleep(limit)) }
    }

    fn moved(&mut self) {
        self.deadline.as_mut().reset(tokio::time::Instant::now() + self.limit);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn idle() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle past its limit")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_everything_but_clients() {
        assert_eq!(connection_cap(4096, Some(1024)), 768);
        assert_eq!(connection_cap(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_cap(100, None), 100);
        assert_eq!(connection_cap(4096, Some(10)), 1, "never zero");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_socket_times_out_and_traffic_keeps_it_open() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut guarded = IdleTimeout::new(a, Duration::from_secs(5));
        b.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 8];
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 2);
        // Four more seconds: within the limit counted from the last byte.
        tokio::time::advance(Duration::from_secs(4)).await;
        b.write_all(b"!").await.unwrap();
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 1);
        let e = guarded.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
