//! The route tree and the server loop (graceful shutdown, background flushes).

use poem::{EndpointExt, Route};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::endpoints::API_VERSION;
use crate::http::document::{DOCS_TITLE, api_service, document, route_table, unversioned_service};
use crate::http::middleware::{account_rate_headers, body_limit, envelope, public_limits};
use crate::state::AppState;

/// How often last-used times are written to the database.
pub const LAST_USED_FLUSH: Duration = Duration::from_secs(10);

pub fn routes(state: Arc<AppState>) -> impl poem::Endpoint<Output = poem::Response> {
    // What the layers around the handlers need of the operations (handed to them, not read by them).
    let table = route_table();
    let sunset: Arc<str> = state.http.sunset.as_str().into();
    // Swagger UI on the current operations (the deprecated copies stay in /openapi.json).
    let v1 = api_service().url_prefix(API_VERSION);
    let docs_html = v1
        .swagger_ui_html()
        .replacen("<title>Swagger UI</title>", DOCS_TITLE, 1)
        .replace(&v1.spec(), &crate::http::document::for_the_docs_page(document()));
    let docs = poem::endpoint::make_sync(move |_| poem::web::Html(docs_html.clone()));
    let spec = poem::endpoint::make_sync(|_| {
        poem::Response::builder().content_type("application/json; charset=utf-8").body(document())
    });
    Route::new()
        .at("/openapi.json", spec)
        .at("/billing/local-checkout/:id", poem::get(crate::http::billing::local_checkout_page))
        .at("/billing/local-checkout/:id/complete", poem::post(crate::http::billing::local_checkout_complete))
        .at("/billing/local-checkout/:id/cancel", poem::post(crate::http::billing::local_checkout_cancel))
        .at("/billing/local-done", poem::get(crate::http::billing::local_done_page))
        .at("/billing/local-portal/:id", poem::get(crate::http::billing::local_portal_page))
        .at("/billing/local-portal/:id/:action", poem::post(crate::http::billing::local_portal_action))
        .at("/docs", docs)
        .at(crate::mcp::PATH, crate::mcp::endpoint(state.clone()))
        .at(
            "/metrics",
            poem::get(poem::endpoint::make(
                |req: poem::Request| async move { crate::http::scrape::endpoint(&req).await },
            )),
        )
        .nest(API_VERSION, v1)
        .nest("/", unversioned_service())
        // Innermost: they see the handlers' answers and errors before any layer renders them.
        .around(crate::http::middleware::operation_of)
        .around({
            let table = table.clone();
            move |next, req| crate::http::body_fields::name_body_fields(next, req, table.clone())
        })
        .around(crate::http::idempotency::idempotency)
        .around(account_rate_headers)
        .around(public_limits)
        // Boxed here so the nested middleware types stay within the compiler's depth limit.
        .boxed()
        .around(root_to_docs)
        .around(crate::http::text_guard::reject_nul)
        .around(body_limit)
        .data(state)
        .around(move |next, req| envelope(next, req, table.clone()))
        .around(move |next, req| crate::http::versions::deprecation_headers(next, req, sunset.clone()))
}

/// `GET /` sends a browser to the docs (the API has nothing at the root).
async fn root_to_docs<E: poem::Endpoint>(next: E, req: poem::Request) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    if req.uri().path() == "/" && req.method() == poem::http::Method::GET {
        return Ok(poem::web::Redirect::see_other("/docs").into_response());
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Binds `addr` (port 0 picks a free one) and returns the listener and its address.
pub async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves until `shutdown` resolves, then drains in-flight requests (at most 10 s), writes the
/// rest of the usage log and flushes pending last-used times. Raises the open-files limit first
/// and serves at most as many connections as it leaves room for.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut connections = state.http.connections;
    let open_files = crate::listener::raise_fd_limit();
    connections.max_connections = crate::listener::connection_cap(connections.max_connections, open_files);
    tracing::info!(
        open_files_limit = open_files,
        max_connections = connections.max_connections,
        max_connections_per_ip = connections.max_per_ip,
        body_read_timeout_s = connections.body_read_timeout.as_secs_f32(),
        header_read_timeout_s = connections.header_read_timeout.as_secs_f32(),
        idle_timeout_s = connections.idle_timeout.as_secs_f32(),
        "connection limits"
    );
    let upkeep = tokio::spawn(crate::metrics::upkeep());
    // Postings held per board, for operators (only when metrics are on).
    let holdings = crate::metrics::enabled().then(|| {
        let store = state.jobs.store.clone();
        every(crate::metrics::BOARD_POSTINGS_EVERY, move || {
            let store = store.clone();
            async move { crate::metrics::board_postings(store.as_ref()).await }
        })
    });
    let flusher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LAST_USED_FLUSH);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = state.access.last_used.flush(state.accounts.store.as_ref()).await {
                    tracing::warn!(error = %e, "flushing key last-used times failed; will retry");
                }
            }
        })
    };
    let importer = state.background.import.clone().map(|import| {
        tokio::spawn(async move {
            if let Err(e) = import().await {
                tracing::error!(error = format!("{e:#}"), "import failed; imported postings are not updated");
            }
        })
    });
    let ingester = state.background.ingest.clone().map(|(ingest, period)| {
        every(period, move || {
            let ingest = ingest.clone();
            async move {
                match ingest.run_cycle().await {
                    Ok(r) if r.all_failed() => tracing::warn!(
                        queries = r.queries,
                        fetched = r.fetched,
                        expired = r.expired,
                        failed = %r.failures_summary(),
                        "ingestion cycle done, but every board asked failed (`failed`: board, cause, count)"
                    ),
                    Ok(r) if r.ran => tracing::info!(
                        queries = r.queries,
                        fetched = r.fetched,
                        expired = r.expired,
                        failed = %r.failures_summary(),
                        "ingestion cycle done"
                    ),
                    Ok(_) => tracing::debug!("ingestion cycle left to another node"),
                    Err(e) => tracing::warn!(error = %e, "ingestion cycle failed; next one on schedule"),
                }
            }
        })
    });
    let crawler = state.background.crawl.clone().map(|(crawl, period)| {
        every(period, move || {
            let crawl = crawl.clone();
            async move {
                for r in crawl.run_cycle().await {
                    let Some(board) = r.board else { continue };
                    if r.elsewhere {
                        tracing::debug!(%board, "crawl left to another node");
                        continue;
                    }
                    crate::metrics::crawl_cycle(&r);
                    if r.failed.is_some() {
                        tracing::warn!(%board, summary = %r.summary(), "crawl cycle stopped on a failure; it resumes at that page next cycle");
                    } else {
                        tracing::info!(%board, summary = %r.summary(), "crawl cycle done");
                    }
                }
            }
        })
    });
    let checker = state.background.liveness.clone().map(|(pass, period)| {
        every(period, move || {
            let pass = pass.clone();
            async move {
                match pass.run_cycle().await {
                    Ok(r) if r.ran => {
                        crate::metrics::liveness_pass(&r);
                        tracing::info!(
                            checked = r.checked,
                            alive = r.alive,
                            gone = r.gone,
                            unknown = r.unknown,
                            "liveness pass done"
                        );
                    }
                    Ok(_) => tracing::debug!("liveness pass left to another node"),
                    Err(e) => tracing::warn!(error = %e, "liveness pass failed; next one on schedule"),
                }
            }
        })
    });
    let matcher = state.background.match_every.map(|period| {
        let cycle = state.background.matching.clone();
        every(period, move || {
            let cycle = cycle.clone();
            async move {
                if let Err(e) = cycle.run_cycle().await {
                    tracing::warn!(error = %e, "saved-search matching failed; the next run resumes from its cursor");
                }
            }
        })
    });
    let deliverer = state.background.deliver_every.map(|every| {
        let deliveries = state.background.deliveries.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Each delivery runs on its own, holding its account's and destination's slots:
                // a receiver that hangs delays only its own account's deliveries.
                match deliveries.start_due().await {
                    Ok(started) => {
                        for delivery in started {
                            tokio::spawn(async move {
                                if let Err(e) = delivery.await {
                                    tracing::warn!(error = %e, "a webhook attempt could not be recorded; its lease will end and it is sent again");
                                }
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "webhook deliveries failed to run; the queue keeps them"),
                }
            }
        })
    });
    let digester = state.background.digest_every.map(|period| {
        let digests = state.background.digests.clone();
        every(period, move || {
            let digests = digests.clone();
            async move {
                if let Err(e) = digests.run_once().await {
                    tracing::warn!(error = %e, "saved-search digests failed to run; next run on schedule");
                }
            }
        })
    });
    let uncapped = state.http.trusted_proxies.clone();
    let result = crate::listener::serve(listener, routes(state.clone()), connections, uncapped, shutdown).await;
    flusher.abort();
    upkeep.abort();
    for task in [holdings, ingester, crawler, checker, importer, matcher, deliverer, digester].into_iter().flatten() {
        task.abort();
    }
    state.usage.writer.close().await;
    state.usage.ledger.close().await;
    match state.access.last_used.flush(state.accounts.store.as_ref()).await {
        Ok(n) => tracing::info!(keys = n, "flushed key last-used times"),
        Err(e) => tracing::error!(error = %e, "final flush of key last-used times failed"),
    }
    Ok(result?)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}

/// Runs `task` every `period` (the first at once, a late one delayed rather than bunched) until
/// the returned handle is aborted.
fn every<F, Fut>(period: std::time::Duration, mut task: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            task().await;
        }
    })
}
