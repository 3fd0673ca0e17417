//! An open-loop load generator (not a test): sends GET requests at a fixed rate over keep-alive
//! connections and reports the latency of each from when it was due, so a slow answer that
//! delays the next request counts against the server (no coordinated omission). `wrk` finds the
//! maximum rate; this measures the latency at a chosen rate below it.
//!
//!   openloop URL RATE SECONDS CONNECTIONS [HEADER: value]...
//!
//! Prints one line: `rate_per_s sent non2xx errors p50_ms p90_ms p99_ms p999_ms max_ms`.
//! Plain `http://host:port/path` only (loopback benchmarks); answers must carry `Content-Length`.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

struct Tally {
    /// Latency of each answered request, in microseconds.
    latencies: Vec<u64>,
    non2xx: u64,
    errors: u64,
}

fn main() -> std::process::ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openloop: {e}\nusage: openloop URL RATE SECONDS CONNECTIONS [HEADER: value]...");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    if args.len() < 4 {
        return Err("four arguments at least".into());
    }
    let (authority, path) = split_url(&args[0]).ok_or("only http://host:port/path URLs are supported")?;
    let number = |i: usize, what: &str| {
        args[i].parse::<f64>().ok().filter(|v| *v > 0.0).ok_or(format!("{what} must be a positive number"))
    };
    let rate = number(1, "RATE")?;
    let seconds = number(2, "SECONDS")?;
    let connections = number(3, "CONNECTIONS")?.round() as usize;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\n");
    for h in &args[4..] {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let tallies = runtime.block_on(async move {
        let start = Instant::now() + Duration::from_millis(200);
        let every = Duration::from_secs_f64(connections as f64 / rate);
        let per_connection = (rate * seconds / connections as f64).round() as u64;
        let tasks: Vec<_> = (0..connections)
            .map(|c| {
                let offset = Duration::from_secs_f64(c as f64 / rate);
                let (authority, request) = (authority.clone(), request.clone());
                tokio::spawn(async move {
                    connection(&authority, request.as_bytes(), start + offset, every, per_connection).await
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(all)
    })?;
    let mut latencies: Vec<u64> = tallies.iter().flat_map(|t| t.latencies.iter().copied()).collect();
    let non2xx: u64 = tallies.iter().map(|t| t.non2xx).sum();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    latencies.sort_unstable();
    let at = |q: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i] as f64 / 1000.0
    };
    println!(
        "{rate} {} {non2xx} {errors} {:.2} {:.2} {:.2} {:.2} {:.2}",
        latencies.len() as u64 + errors,
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999),
        at(1.0)
    );
    Ok(())
}

fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Some((authority.to_owned(), path.to_owned()))
}

/// One keep-alive connection sending `count` requests, the first due at `first`, then one every
/// `every`. A request is timed from when it was due, or from when it could be sent if the
/// generator's own timer woke late while the connection was idle.
async fn connection(authority: &str, request: &[u8], first: Instant, every: Duration, count: u64) -> Tally {
    let mut tally = Tally { latencies: Vec::with_capacity(count as usize), non2xx: 0, errors: 0 };
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut free_since = Instant::now();
    for i in 0..count {
        let due = first + every * i as u32;
        tokio::time::sleep_until(due).await;
        // Late because the last answer was late: the server's time. Late because the timer woke
        // late on an idle connection: the generator's, not counted.
        let from = if free_since > due { due } else { Instant::now() };
        if stream.is_none() {
            stream = TcpStream::connect(authority).await.ok();
            if let Some(s) = &stream {
                let _ = s.set_nodelay(true);
            }
        }
        let outcome = match stream.as_mut() {
            Some(s) => exchange(s, request, &mut buf).await,
            None => Err(()),
        };
        free_since = Instant::now();
        match outcome {
            Ok(status) => {
                tally.latencies.push(free_since.duration_since(from).as_micros() as u64);
                if !(200..300).contains(&status) {
                    tally.non2xx += 1;
                }
            }
            Err(()) => {
                tally.errors += 1;
                stream = None;
            }
        }
    }
    tally
}

/// Sends one request and reads its answer whole; the answer's status.
async fn exchange(s: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Result<u16, ()> {
    s.write_all(request).await.map_err(|_| ())?;
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = s.read(&mut chunk).await.map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| ())?;
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(())?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .ok_or(())?;
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await.map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}
