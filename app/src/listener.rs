//! Accepting and serving connections with bounds, so no client can take the node down by holding
//! sockets: at most `max_connections` are served at once (one more is answered 503 and closed;
//! past a small allowance of those, excess sockets are closed at accept), and at most
//! `max_per_ip` from one client address (trusted proxies excepted: their clients are told apart
//! by the forwarded header, after the head), so one client cannot take every slot; a request head must
//! arrive within `header_read_timeout` of the server starting to wait for it (a new connection, or
//! the previous response on a keep-alive one), which bounds both slow-header (slowloris) clients
//! and idle keep-alive connections; and a connection on which no byte moves for `idle_timeout`
//! (a stalled body, a client that stops reading its response) is closed; a body must arrive whole
//! within `body_read_timeout` of its head (the HTTP layer answers 408 otherwise). Every answer on a
//! kept-alive connection carries `Keep-Alive: timeout=N`, N a second under the time the server
//! keeps an idle connection, so a client that honours it never reuses a connection being closed.
//! An accept error (out of file descriptors) backs off instead of spinning.

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

/// Connection bounds (`JOBIN_MAX_CONNECTIONS`, `JOBIN_MAX_CONNECTIONS_PER_IP`,
/// `JOBIN_HEADER_READ_TIMEOUT_SECS`, `JOBIN_IDLE_TIMEOUT_SECS`, `JOBIN_BODY_READ_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub max_connections: usize,
    pub max_per_ip: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_read_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_per_ip: DEFAULT_MAX_PER_IP,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

impl ConnectionSettings {
    /// What `Keep-Alive: timeout=` advertises: a second under the idle keep-alive time (the
    /// header-read timeout, counted from the end of the previous answer), at least 1.
    pub fn keep_alive_hint(&self) -> u64 {
        self.header_read_timeout.as_secs().saturating_sub(1).max(1)
    }
}

pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// One client address's share of the connections by default: a sixteenth of the default cap.
pub const DEFAULT_MAX_PER_IP: usize = 256;
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
const BUSY_CLIENT: &str = "{\"error\":\"This client address holds its share of the server's connections; \
close some or retry shortly.\",\"code\":\"dependency_unavailable\",\"details\":{\"reason\":\"client_connection_limit\"},\
\"request_id\":\"\"}";

/// Open connections per client address; an address's entry goes with its last connection.
#[derive(Default)]
struct PerIp(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

impl PerIp {
    /// Counts one more connection from `ip` unless it holds `max` already.
    fn take(self: &Arc<Self>, ip: std::net::IpAddr, max: usize) -> Option<IpSlot> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot { ip, of: self.clone() })
    }
}

/// One connection's place in its address's count, given back on drop.
struct IpSlot {
    ip: std::net::IpAddr,
    of: Arc<PerIp>,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut held = self.of.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

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
/// [`DRAIN`] to finish. Connections from `uncapped` addresses (trusted proxies) count only
/// against the whole cap.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    settings: ConnectionSettings,
    uncapped: Vec<ipnet::IpNet>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    E: Endpoint<Output = Response> + 'static,
{
    let endpoint = Arc::new(endpoint);
    let local = LocalAddr(poem::Addr::SocketAddr(listener.local_addr()?));
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    let per_ip = Arc::new(PerIp::default());
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
        let ip = remote.ip().to_canonical();
        let ip_slot = if uncapped.iter().any(|net| net.contains(&ip)) {
            None
        } else {
            match per_ip.take(ip, settings.max_per_ip) {
                Some(s) => Some(s),
                None => {
                    refuse_politely(&refusals, &tracker, stream, BUSY_CLIENT);
                    continue;
                }
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse_politely(&refusals, &tracker, stream, BUSY);
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
            drop(ip_slot);
        });
    }
    stop.cancel();
    tracker.close();
    if tokio::time::timeout(DRAIN, tracker.wait()).await.is_err() {
        tracing::warn!("requests still running after the drain period were cut off");
    }
    Ok(())
}

/// Past a cap: answers 503 while few such answers are in flight, else just closes.
fn refuse_politely(refusals: &Arc<Semaphore>, tracker: &TaskTracker, stream: TcpStream, body: &'static str) {
    if let Ok(refusal) = refusals.clone().try_acquire_owned() {
        tracker.spawn(async move {
            let _ = tokio::time::timeout(REFUSAL_BUDGET, refuse(stream, body)).await;
            drop(refusal);
        });
    }
}

/// Reads what the client sent (briefly) and answers 503 with the error envelope `body`.
async fn refuse(mut stream: TcpStream, body: &str) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(body.as_bytes()).await.is_ok() {
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
    let keep_alive = poem::http::HeaderValue::from_str(&format!("timeout={}", settings.keep_alive_hint()))
        .unwrap_or_else(|_| poem::http::HeaderValue::from_static("timeout=1"));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let endpoint = endpoint.clone();
        let keep_alive = keep_alive.clone();
        let req = poem::Request::from((req, local.clone(), remote.clone(), poem::http::uri::Scheme::HTTP));
        async move {
            let mut resp = endpoint.get_response(req).await;
            let closing = resp.headers().get(poem::http::header::CONNECTION).is_some_and(|v| v == "close");
            if !closing {
                resp.headers_mut().insert("keep-alive", keep_alive);
            }
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
