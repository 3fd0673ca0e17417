//! One mechanism for every port's contract suite: each case is an `async fn(T)` written once, run
//! against each adapter by [`contract_suite!`](crate::contract_suite). An adapter whose service is
//! absent (PostgreSQL, Redis) is marked `#[ignore = "needs …"]`, so the runner lists it as ignored
//! unless `make test` finds the service (CI always runs it with `--include-ignored` and requires it).

use super::ScratchPostgres;

/// What a contract case runs against (a port, or what builds one), and the scratch database to drop
/// afterwards.
pub struct Subject<T> {
    pub port: T,
    scratch: Option<ScratchPostgres>,
}

impl<T> Subject<T> {
    pub fn new(port: T) -> Self {
        Self { port, scratch: None }
    }

    /// A subject on a scratch PostgreSQL database, dropped when the case is done.
    pub fn on_scratch(port: T, scratch: ScratchPostgres) -> Self {
        Self { port, scratch: Some(scratch) }
    }

    pub async fn finish(self) {
        if let Some(pg) = self.scratch {
            pg.cleanup().await;
        }
    }
}

/// Runs each case against each adapter: one `#[tokio::test]` per (adapter, case), named
/// `<adapter>::<case>`. `make` is an async expression giving `Option<Subject<T>>` (`None` after a
/// loud SKIPPED line when the adapter's service is absent outside CI); attributes before an adapter
/// (`#[ignore = "needs PostgreSQL"]`) apply to each of its tests.
///
/// ```text
/// contract_suite! {
///     cases: [stores_and_reads, expires];
///     memory => async { Some(Subject::new(Arc::new(MemoryCache::new(10)) as Arc<dyn Cache>)) },
///     #[ignore = "needs Redis (make test runs it when Redis answers; CI requires it)"]
///     redis => redis_cache(),
/// }
/// ```
#[macro_export]
macro_rules! contract_suite {
    (cases: $cases:tt; $( $(#[$attr:meta])* $adapter:ident => $make:expr ),+ $(,)?) => {
        $( $crate::contract_suite!(@adapter $adapter [$(#[$attr])*] ($make) $cases); )+
    };
    (@adapter $adapter:ident $attrs:tt ($make:expr) [$($case:ident),+ $(,)?]) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            $( $crate::contract_suite!(@case $attrs ($make) $case); )+
        }
    };
    (@case [$(#[$attr:meta])*] ($make:expr) $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$attr])*
        async fn $case() {
            let Some(subject) = $make.await else { return };
            super::$case(subject.port.clone()).await;
            subject.finish().await;
        }
    };
}

/// A subject on a fresh in-memory SQLite database, migrated.
#[allow(clippy::expect_used)] // test support: SQLite in memory cannot be absent
pub async fn sqlite<T>(make: impl FnOnce(sea_orm::DatabaseConnection) -> T) -> Option<Subject<T>> {
    let db = super::sqlite_memory().await.expect("in-memory SQLite");
    Some(Subject::new(make(db)))
}

/// A subject on a scratch PostgreSQL database (`None`, announced, when none answers outside CI).
pub async fn postgres<T>(make: impl FnOnce(sea_orm::DatabaseConnection) -> T) -> Option<Subject<T>> {
    let pg = ScratchPostgres::create().await?;
    Some(Subject::on_scratch(make(pg.db.clone()), pg))
}

/// A subject on Redis under a fresh key prefix (`None`, announced, when Redis is absent outside CI).
pub async fn redis<T>(make: impl FnOnce(crate::redis::Redis) -> T) -> Option<Subject<T>> {
    let (r, _) = super::redis().await?;
    Some(Subject::new(make(r)))
}
