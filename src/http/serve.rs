//! The accept loop: hyper connections with a header-read timeout, an idle timeout and a cap on
//! open connections, so idle or slow clients cannot use up the open-file limit. When the cap is
//! reached, the connection idle the longest is closed to make room, so a new client (a health
//! check, say) is served at once rather than after the idle timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::config::Config;

/// Open files kept free beside client connections: the database, the listener, logs, and
/// outbound deliveries (added per `delivery_concurrency`).
const FD_RESERVE: u64 = 64;
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Connection limits, resolved at start.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
}

impl Limits {
    /// Raises the soft open-file limit to the hard one and fits `max_connections` under it.
    pub fn at_start(config: &Config) -> Limits {
        let mut max_connections = config.max_connections;
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(files) => {
                tracing::info!(open_files = files, "open-file limit");
                let reserve = FD_RESERVE + config.delivery_concurrency as u64;
                let fits =
                    usize::try_from(files.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX);
                if fits < max_connections {
                    tracing::warn!(
                        max_connections = fits,
                        "max_connections lowered to fit the open-file limit ({files})"
                    );
                    max_connections = fits;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read or raise the open-file limit"),
        }
        Limits {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_connections,
        }
    }
}

/// Serves `router` on `listener` until `stop`, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let server = Arc::new(Server {
        builder,
        router,
        idle_timeout: limits.idle_timeout,
        stop,
        open: Registry::default(),
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let tasks = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = server.stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                server.open.evict_longest_idle();
                tokio::select! {
                    _ = server.stop.cancelled() => break,
                    slot = slots.clone().acquire_owned() => slot.expect("never closed"),
                }
            }
        };
        let server = server.clone();
        tasks.spawn(async move {
            server.serve_connection(stream, peer).await;
            drop(slot);
        });
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
    Ok(())
}

/// What every connection task shares.
struct Server {
    builder: auto::Builder<TokioExecutor>,
    router: Router,
    idle_timeout: Duration,
    stop: CancellationToken,
    open: Registry,
}

impl Server {
    async fn serve_connection(&self, stream: TcpStream, peer: SocketAddr) {
        let conn = self.open.add();
        let idle_timeout = self.idle_timeout;
        let router = self.router.clone();
        let service = {
            let conn = conn.clone();
            hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let busy = conn.busy();
                let call = router.clone().oneshot(req.map(axum::body::Body::new));
                async move {
                    let response = call.await;
                    drop(busy);
                    response
                }
            })
        };
        let served = self.builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(served);
        let mut closing = false;
        loop {
            // While a request runs the timer only re-arms; it is checked against idleness on expiry.
            let idle_deadline = if conn.is_idle() {
                conn.idle_since() + idle_timeout
            } else {
                Instant::now() + idle_timeout
            };
            tokio::select! {
                result = served.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                    break;
                }
                _ = self.stop.cancelled(), if !closing => {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
                _ = tokio::time::sleep_until(idle_deadline), if !closing => {
                    if conn.is_idle() && conn.idle_since() + idle_timeout <= Instant::now() {
                        closing = true;
                        served.as_mut().graceful_shutdown();
                    }
                }
                _ = conn.evict.notified() => {
                    if conn.is_idle() {
                        tracing::debug!(%peer, "closing the longest-idle connection: too many open");
                        break;
                    }
                    conn.evicting.store(false, Ordering::Relaxed);
                }
            }
        }
        self.open.remove(conn.id);
    }
}

/// The open connections, so the longest-idle one can be found when the cap is reached.
#[derive(Default)]
struct Registry {
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn add(&self) -> Arc<Conn> {
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            requests: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(conn.id, conn.clone());
        conn
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Asks the connection idle the longest (no request in progress) to close.
    fn evict_longest_idle(&self) {
        let conns = self.lock();
        let longest = conns
            .values()
            .filter(|c| c.is_idle() && !c.evicting.load(Ordering::Relaxed))
            .min_by_key(|c| c.idle_since());
        if let Some(conn) = longest {
            conn.evicting.store(true, Ordering::Relaxed);
            conn.evict.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One connection's activity: requests in progress and since when it has had none.
struct Conn {
    id: u64,
    requests: AtomicUsize,
    idle_since: Mutex<Instant>,
    evicting: AtomicBool,
    evict: Notify,
}

impl Conn {
    fn busy(self: &Arc<Self>) -> Busy {
        self.requests.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    fn is_idle(&self) -> bool {
        self.requests.load(Ordering::SeqCst) == 0
    }

    fn idle_since(&self) -> Instant {
        *self.idle_since.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A request in progress; the connection counts as idle again when the last one is dropped.
struct Busy(Arc<Conn>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.requests.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_evicts_the_connection_idle_longest_and_never_a_busy_one() {
        let open = Registry::default();
        let (busy, oldest_idle, newer_idle) = (open.add(), open.add(), open.add());
        let now = Instant::now();
        let ago = |secs| now.checked_sub(Duration::from_secs(secs)).unwrap();
        *busy.idle_since.lock().unwrap() = ago(300);
        *oldest_idle.idle_since.lock().unwrap() = ago(200);
        *newer_idle.idle_since.lock().unwrap() = ago(100);
        let _request = busy.busy();

        open.evict_longest_idle();
        open.evict_longest_idle();
        open.evict_longest_idle();

        assert!(!busy.evicting.load(Ordering::Relaxed));
        assert!(oldest_idle.evicting.load(Ordering::Relaxed));
        assert!(newer_idle.evicting.load(Ordering::Relaxed));
    }
}
