//! [`MockServer`]: the server embedded in a Rust test, or run by the standalone binary.

use crate::app::{App, AppConfig};
use crate::auth::{Credentials, StaticCredentials};
use crate::dialect::Dialect;
use crate::error::ServiceResult;
use crate::http::server;
use crate::http::tls::{self, TlsSource};
use crate::service::{Service, StateSnapshot};
use crate::store::{BlobStore, DiskOptions, DiskStore, MemoryStore};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

/// Where the mock keeps blobs and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    /// In memory; gone when the server stops.
    Memory,
    /// On disk in a fresh temporary directory, removed when the server stops (the default).
    TempDisk,
    /// On disk in this directory; everything survives a restart.
    Disk(PathBuf),
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("could not open the store at {path}: {source}")]
    Store {
        /// Where.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(std::io::Error),
    /// The server runtime could not be started.
    #[error("could not start the server runtime: {0}")]
    Runtime(std::io::Error),
    /// A bucket given to pre-create was refused.
    #[error("could not create bucket {name:?}: {source}")]
    Bucket {
        /// Bucket name.
        name: String,
        /// Why.
        source: crate::error::ServiceError,
    },
}

/// Builder of a [`MockServer`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    listen: SocketAddr,
    store: StoreKind,
    durable: Option<bool>,
    recycle_limit: u64,
    buckets: Vec<String>,
    credentials: Vec<Credentials>,
    tls: Option<TlsSource>,
    config: AppConfig,
    worker_threads: usize,
    faults: Vec<crate::faults::Fault>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store: StoreKind::TempDisk,
            durable: None,
            recycle_limit: crate::store::DEFAULT_RECYCLE_LIMIT,
            buckets: Vec::new(),
            credentials: Vec::new(),
            tls: None,
            config: AppConfig::default(),
            worker_threads: 2,
            faults: Vec::new(),
        }
    }
}

impl MockServerBuilder {
    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Keep everything in memory.
    pub fn memory(mut self) -> Self {
        self.store = StoreKind::Memory;
        self
    }
    /// Keep everything in `dir`, surviving restarts.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.store = StoreKind::Disk(dir.into());
        self
    }
    /// Choose the store.
    pub fn store(mut self, store: StoreKind) -> Self {
        self.store = store;
        self
    }
    /// fsync data and metadata before acknowledging (default: on for a data dir, off for a
    /// temporary one).
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = Some(durable);
        self
    }
    /// Bytes of deleted blobs' files a disk store keeps to write new blobs over (default
    /// [`DEFAULT_RECYCLE_LIMIT`](crate::store::DEFAULT_RECYCLE_LIMIT), 1 GiB; 0 removes each
    /// at once). See [`DiskOptions::recycle_limit`](crate::store::DiskOptions::recycle_limit).
    pub fn recycle_limit(mut self, bytes: u64) -> Self {
        self.recycle_limit = bytes;
        self
    }
    /// Create this bucket at start (repeatable).
    pub fn bucket(mut self, name: impl Into<String>) -> Self {
        self.buckets.push(name.into());
        self
    }
    /// Verify signatures with these credentials (repeatable). Without any, every request passes.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials
            .push(Credentials::new(access_key, secret_key));
        self
    }
    /// Minimum part size of every dialect (default: the dialect's own).
    pub fn min_part_size(mut self, bytes: u64) -> Self {
        self.config.min_part_size = Some(bytes);
        self
    }
    /// Treat every request as this dialect.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.config.dialect = Some(dialect);
        self
    }
    /// Accept `BUCKET.<domain>` as virtual-hosted addressing (`localhost` always is).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.config.domains.push(domain.into());
        self
    }
    /// Serve HTTPS with a self-signed certificate for localhost and 127.0.0.1.
    pub fn tls_self_signed(mut self) -> Self {
        self.tls = Some(TlsSource::SelfSigned {
            dir: PathBuf::new(),
        });
        self
    }
    /// Serve HTTPS with this PEM certificate chain and key.
    pub fn tls_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsSource::Files {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }
    /// Require this token on the admin API.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.config.admin_token = Some(token.into());
        self
    }
    /// How long a request body may stall (no data arriving) before the request fails with
    /// `RequestTimeout` (default [`crate::app::DEFAULT_BODY_READ_TIMEOUT`], 60 s).
    pub fn body_read_timeout(mut self, stall: std::time::Duration) -> Self {
        self.config.body_read_timeout = Some(stall);
        self
    }
    /// How long a client may take to send a request's headers before its connection is closed
    /// (default [`crate::http::server::HEADER_READ_TIMEOUT`], 30 s).
    pub fn header_read_timeout(mut self, limit: std::time::Duration) -> Self {
        self.config.header_read_timeout = Some(limit);
        self
    }
    /// Journal entries kept at most (default [`crate::journal::DEFAULT_LIMIT`], 100,000; at
    /// least 1): older ones are dropped and counted ([`MockServer::journal_stats`]).
    pub fn journal_limit(mut self, entries: usize) -> Self {
        self.config.journal_limit = Some(entries);
        self
    }
    /// Installs a fault rule at start (repeatable).
    pub fn fault(mut self, rule: crate::faults::Fault) -> Self {
        self.faults.push(rule);
        self
    }
    /// Installs the `[[fault]]` rules of a scenario file at start.
    pub fn scenario_file(mut self, path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rules = crate::faults::rules_from_toml(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.faults.extend(rules);
        Ok(self)
    }
    /// Worker threads of the server's own runtime (default 2).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    /// Starts the server on its own runtime thread and returns once it accepts connections.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("mock-server".into())
            .spawn(move || {
                let _ = tx.send(self.start_blocking());
            })
            .map_err(StartError::Runtime)?;
        rx.await
            .map_err(|_| StartError::Runtime(std::io::Error::other("server thread ended")))?
    }

    /// Like [`start`](Self::start), for code without an async runtime.
    pub fn start_blocking(self) -> Result<MockServer, StartError> {
        let temp = match &self.store {
            StoreKind::TempDisk => Some(
                tempfile::Builder::new()
                    .prefix("mock-server-")
                    .tempdir()
                    .map_err(|e| StartError::Store {
                        path: std::env::temp_dir().display().to_string(),
                        source: e,
                    })?,
            ),
            _ => None,
        };
        let store: Arc<dyn BlobStore> = match &self.store {
            StoreKind::Memory => Arc::new(MemoryStore::new()),
            StoreKind::TempDisk | StoreKind::Disk(_) => {
                let (dir, durable_default) = match (&self.store, &temp) {
                    (StoreKind::Disk(d), _) => (d.clone(), true),
                    (_, Some(t)) => (t.path().to_path_buf(), false),
                    _ => unreachable!("a disk store always has a directory"),
                };
                let durable = self.durable.unwrap_or(durable_default);
                Arc::new(
                    DiskStore::open_with(
                        &dir,
                        DiskOptions {
                            durable,
                            recycle_limit: self.recycle_limit,
                        },
                    )
                    .map_err(|e| StartError::Store {
                        path: dir.display().to_string(),
                        source: e,
                    })?,
                )
            }
        };
        let store_path = match &self.store {
            StoreKind::Disk(d) => d.display().to_string(),
            _ => "memory".into(),
        };
        let service = Arc::new(Service::open(store).map_err(|e| StartError::Store {
            path: store_path,
            source: e,
        })?);
        for b in &self.buckets {
            service.create_bucket(b).map_err(|e| StartError::Bucket {
                name: b.clone(),
                source: e,
            })?;
        }
        let mut config = self.config.clone();
        if !self.credentials.is_empty() {
            config.credentials = Some(Arc::new(StaticCredentials::new(self.credentials.clone())));
        }
        let tls = match &self.tls {
            None => None,
            Some(TlsSource::SelfSigned { .. }) => {
                let dir = match (&self.store, &temp) {
                    (StoreKind::Disk(d), _) => d.join("tls"),
                    (_, Some(t)) => t.path().join("tls"),
                    _ => {
                        std::env::temp_dir().join(format!("mock-server-tls-{}", std::process::id()))
                    }
                };
                Some(tls::build(&TlsSource::SelfSigned { dir }).map_err(StartError::Tls)?)
            }
            Some(src) => Some(tls::build(src).map_err(StartError::Tls)?),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name("mock-server-worker")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(self.listen))
            .map_err(|e| StartError::Bind {
                addr: self.listen,
                source: e,
            })?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind {
            addr: self.listen,
            source: e,
        })?;
        let app = Arc::new(App::new(service.clone(), config));
        for f in &self.faults {
            app.faults.add(f.clone()).map_err(|e| {
                StartError::Runtime(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("fault rule: {e}"),
                ))
            })?;
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let ca_pem = tls.as_ref().and_then(|t| t.ca_pem.clone());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server_app = app.clone();
        let thread = std::thread::Builder::new()
            .name("mock-server-runtime".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, acceptor, server_app, shutdown_rx));
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })
            .map_err(StartError::Runtime)?;
        Ok(MockServer {
            addr,
            endpoint: format!("{scheme}://{addr}"),
            app,
            shutdown: shutdown_tx,
            thread: Some(thread),
            ca_pem,
            expectations: Default::default(),
            _temp: temp,
        })
    }
}

/// A running mock server.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = mock_server::MockServer::start().await?;
/// server.create_bucket("my-bucket")?;
/// // point any S3 client at server.endpoint() ("http://127.0.0.1:PORT") ...
/// let state = server.state();
/// assert_eq!(state.open_uploads(), 0);
/// # Ok(()) }
/// ```
///
/// Dropping it stops the server and removes its temporary directory.
pub struct MockServer {
    addr: SocketAddr,
    endpoint: String,
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    ca_pem: Option<PathBuf>,
    expectations: std::sync::Mutex<Vec<crate::expect::Expect>>,
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl MockServer {
    /// Starts a server with the defaults: disk store in a temp dir, free loopback port, all
    /// three dialects, any credentials accepted.
    pub async fn start() -> Result<MockServer, StartError> {
        MockServerBuilder::default().start().await
    }

    /// A builder for other settings.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (or `https://...`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The socket address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The self-signed certificate to trust, when serving HTTPS with one.
    pub fn ca_pem(&self) -> Option<&std::path::Path> {
        self.ca_pem.as_deref()
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) -> ServiceResult<()> {
        self.app.service.create_bucket(name)
    }

    /// Installs a fault rule; returns its id.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_server::{faults::Fault, ops::OpKind, MockServer};
    /// let server = MockServer::start().await?;
    /// server.fault(Fault::drop_after_commit().on(OpKind::UploadPart).part(3).times(1))?;
    /// # Ok(()) }
    /// ```
    pub fn fault(&self, rule: crate::faults::Fault) -> Result<u64, String> {
        self.app.faults.add(rule)
    }

    /// The installed fault rules with their counters.
    pub fn faults(&self) -> Vec<crate::faults::RuleInfo> {
        self.app.faults.list()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.app.faults.clear()
    }

    /// Requests being handled right now.
    pub fn in_flight(&self) -> u64 {
        self.app.journal.in_flight()
    }

    /// Waits until no request is in flight (up to `limit`); true if it got there.
    pub async fn idle(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while self.in_flight() > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// Every request so far, in order (the newest [`journal_limit`](MockServerBuilder::journal_limit)
    /// of them).
    pub fn journal(&self) -> Vec<crate::journal::JournalEntry> {
        self.app.journal.all()
    }

    /// How many journal entries are kept, how many were dropped because it was full, and the
    /// limit.
    pub fn journal_stats(&self) -> crate::journal::JournalStats {
        self.app.journal.stats()
    }

    /// Adds an expectation, checked by [`verify`](Self::verify) and when the server is dropped
    /// (a failed expectation then panics with a report of expected vs. seen requests).
    pub fn expect(&self, e: crate::expect::Expect) {
        self.expectations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    /// Checks the expectations now.
    pub fn verify(&self) -> Result<(), String> {
        let ex = self
            .expectations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        crate::expect::verify(&ex, &self.journal())
    }

    /// A snapshot of buckets, objects, open uploads and blobs.
    pub fn state(&self) -> StateSnapshot {
        self.app.service.snapshot()
    }

    /// The service behind the server (direct access for tests).
    pub fn service(&self) -> &Arc<Service> {
        &self.app.service
    }

    /// Stops the server and waits for it to finish.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let verdict = self.verify();
        self.shutdown_now();
        if let Err(report) = verdict {
            if !std::thread::panicking() {
                panic!("mock server expectations not met:\n{report}");
            }
        }
    }
}
