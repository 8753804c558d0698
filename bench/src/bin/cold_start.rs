//! Cold start per function, against a Lambda Runtime API stub served here.
//!
//! For each run: start the function's binary with `AWS_LAMBDA_RUNTIME_API`
//! pointing at the stub, hand it one event on its first `/next`, and time
//! from just before the process is spawned to the moment its result (response
//! or error) arrives. Peak RSS is the process's `VmHWM` at that moment. The
//! floor is `floor` (an empty `lambda_runtime` function, same profile).
//! Runs are interleaved across functions so machine noise spreads evenly.
//!
//!   cold_start --bin-dir target/release --events bench/events --runs 25
//!              [--json out.json] [--host-cert-layout]
//!
//! Every `<name>.json` in the events directory names a binary and is the
//! event it gets; the events need no network (see bench/events/README.md).
//!
//! Trust store: every function that talks to AWS parses the system's root
//! certificates when it builds its TLS client. Lambda's AL2023 image has one
//! CA bundle; Debian also has every root as its own file in /etc/ssl/certs,
//! which rustls-native-certs reads as well (twice the parsing). So functions
//! get the bundle alone (SSL_CERT_FILE, SSL_CERT_DIR empty), as on Lambda;
//! `--host-cert-layout` keeps this machine's layout instead.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FLOOR: &str = "floor";

/// A request from the function, with where to send the event it waits for.
type Request = (Outcome, mpsc::Sender<Vec<u8>>);
type Requests = mpsc::Receiver<Request>;

/// What the stub saw from the function.
enum Outcome {
    Result { path: String, body: String },
    InitError(String),
}

fn main() {
    let args = Args::parse();
    let events = load_events(&args.events);
    if !events.contains_key(FLOOR) {
        fail(&format!(
            "{}/{FLOOR}.json is missing: the floor is the reference",
            args.events.display()
        ));
    }
    let trust_store = TrustStore::new(args.host_cert_layout);
    let (outcomes, port) = serve_runtime_api();
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut rss: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut first_results: BTreeMap<&str, String> = BTreeMap::new();

    for run in 0..args.runs {
        for (name, event) in &events {
            let binary = args.bin_dir.join(name);
            let (millis, peak_kb, result) =
                cold_start(&binary, name, event, port, &trust_store, &outcomes);
            times.entry(name).or_default().push(millis);
            rss.entry(name).or_default().push(peak_kb as f64 / 1024.0);
            if run == 0 {
                first_results.insert(name, result);
            }
        }
    }

    let floor_median = bench::quantile(times.get_mut(FLOOR).expect("floor ran"), 0.5);
    println!(
        "cold start, {} runs each, binaries from {}, trust store: {}",
        args.runs,
        args.bin_dir.display(),
        trust_store.describe()
    );
    println!(
        "{:<20} {:>10} {:>10} {:>9} {:>13}  first result",
        "function", "median ms", "p95 ms", "× floor", "peak RSS MB"
    );
    let mut rows = Vec::new();
    for (name, samples) in times.iter_mut() {
        let median = bench::quantile(samples, 0.5);
        let p95 = bench::quantile(samples, 0.95);
        let rss_median = bench::quantile(rss.get_mut(name).expect("rss sampled"), 0.5);
        let ratio = median / floor_median;
        println!(
            "{name:<20} {median:>10.2} {p95:>10.2} {ratio:>9.2} {rss_median:>13.1}  {}",
            first_results[name]
        );
        rows.push(serde_json::json!({
            "function": name, "runs": samples.len(), "median_ms": median, "p95_ms": p95,
            "ratio_to_floor": ratio, "peak_rss_mb": rss_median, "first_result": first_results[name],
        }));
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows).expect("json"))
            .unwrap_or_else(|e| fail(&format!("writing {}: {e}", path.display())));
    }
}

/// One cold start: spawn, wait for the first result, read peak RSS, kill.
fn cold_start(
    binary: &Path,
    name: &str,
    event: &[u8],
    port: u16,
    trust_store: &TrustStore,
    outcomes: &Requests,
) -> (f64, u64, String) {
    let started = Instant::now();
    let mut child = spawn(binary, name, port, trust_store);
    let outcome = loop {
        match outcomes.recv_timeout(Duration::from_secs(10)) {
            // The first /next: hand over the event.
            Ok((Outcome::Result { path, .. }, reply)) if path.ends_with("/next") => {
                let _ = reply.send(event.to_vec());
            }
            Ok((outcome, _)) => break outcome,
            Err(_) => {
                let _ = child.kill();
                fail(&format!("{name}: no result within 10 s"));
            }
        }
    };
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let peak_kb = peak_rss_kb(child.id());
    stop(&mut child);
    // The runtime asks for its next event right after posting a result: that
    // request belongs to the process just killed, not to the next run.
    while outcomes.try_recv().is_ok() {}
    let result = match outcome {
        Outcome::Result { path, body } => summarise(&path, &body),
        Outcome::InitError(body) => fail(&format!("{name}: init error: {body}")),
    };
    (millis, peak_kb, result)
}

fn spawn(binary: &Path, name: &str, port: u16, trust_store: &TrustStore) -> Child {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(function_env(name, port))
        .envs(trust_store.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
        .spawn()
        .unwrap_or_else(|e| fail(&format!("starting {}: {e}", binary.display())))
}

/// The environment Lambda gives a function, plus every setting our functions
/// read at start-up. The SDK endpoint is a closed local port with one attempt,
/// so nothing here can reach a network; the JWT key comes from the plain
/// variable (deployed functions read it from Secrets Manager instead).
fn function_env(name: &str, port: u16) -> Vec<(&'static str, String)> {
    let fixed = [
        ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}")),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "bench".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
        ("ORDERS_TABLE", "orders".into()),
        ("PRODUCTS_TABLE", "products".into()),
        ("RESERVATIONS_TABLE", "reservations".into()),
        ("USERS_TABLE", "users".into()),
        ("IDEMPOTENCY_TABLE", "idempotency".into()),
        ("PAYMENTS_TABLE", "payments".into()),
        ("SHIPMENTS_TABLE", "shipments".into()),
        ("EVENT_BUS_NAME", "store".into()),
        (
            "STATE_MACHINE_ARN",
            "arn:aws:states:us-east-1:000000000000:stateMachine:orders".into(),
        ),
        (
            "JWT_SECRET",
            "bench-secret-bench-secret-bench-secret!".into(),
        ),
        (
            "WEBHOOK_URL",
            "http://127.0.0.1:9/api/shipping/webhook".into(),
        ),
        (
            "WEBHOOK_SECRET",
            "bench-webhook-secret-bench-webhook".into(),
        ),
        ("NOTIFY_SENDER", "orders@example.com".into()),
        (
            "STRIPE_SECRET",
            r#"{"secretKey":"sk_test_bench","webhookSecret":"whsec_bench"}"#.into(),
        ),
    ];
    fixed.into_iter().collect()
}

/// Where the functions find root certificates (see the module comment).
struct TrustStore {
    /// `None`: this machine's own layout.
    bundle_only: Option<(PathBuf, PathBuf)>,
}

impl TrustStore {
    const BUNDLES: [&'static str; 2] = [
        "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu
        "/etc/pki/tls/certs/ca-bundle.crt",   // Amazon Linux, Fedora
    ];

    fn new(host_layout: bool) -> Self {
        if host_layout {
            return TrustStore { bundle_only: None };
        }
        let bundle = Self::BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| fail("no CA bundle found; try --host-cert-layout"));
        let empty_dir =
            std::env::temp_dir().join(format!("cold-start-no-certs-{}", std::process::id()));
        std::fs::create_dir_all(&empty_dir).expect("create an empty certificate directory");
        TrustStore {
            bundle_only: Some((bundle, empty_dir)),
        }
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        match &self.bundle_only {
            Some((bundle, empty_dir)) => vec![
                ("SSL_CERT_FILE", bundle.clone()),
                ("SSL_CERT_DIR", empty_dir.clone()),
            ],
            None => Vec::new(),
        }
    }

    fn describe(&self) -> String {
        match &self.bundle_only {
            Some((bundle, _)) => format!("{} only (as on Lambda)", bundle.display()),
            None => "this machine's layout".into(),
        }
    }
}

impl Drop for TrustStore {
    fn drop(&mut self) {
        if let Some((_, empty_dir)) = &self.bundle_only {
            let _ = std::fs::remove_dir(empty_dir);
        }
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// "response 200" / "error Runtime.X": enough to see what the event did.
fn summarise(path: &str, body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if path.ends_with("/error") {
        format!("error {}", json["errorType"].as_str().unwrap_or("?"))
    } else if let Some(status) = json["statusCode"].as_u64() {
        format!("response {status}")
    } else {
        "response".into()
    }
}

// ------------------------------------------------------------ Runtime API stub

/// Serves the Runtime API on a free port; every request is sent to the main
/// thread with a channel for the reply body (`/next` waits for it).
fn serve_runtime_api() -> (Requests, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub");
    let port = listener.local_addr().expect("stub address").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || serve_connection(stream, tx));
        }
    });
    (rx, port)
}

fn serve_connection(stream: TcpStream, tx: mpsc::Sender<Request>) {
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    // HTTP/1.1 keep-alive: one request after another on this connection.
    while let Some((method, path, body)) = read_request(&mut reader) {
        let (reply_tx, reply_rx) = mpsc::channel();
        let outcome = if path.ends_with("/init/error") {
            Outcome::InitError(body)
        } else {
            Outcome::Result {
                path: path.clone(),
                body,
            }
        };
        if tx.send((outcome, reply_tx)).is_err() {
            return;
        }
        let response = if method == "GET" && path.ends_with("/invocation/next") {
            // Blocks until the main thread hands over an event; a process that
            // is killed meanwhile just closes the connection.
            match reply_rx.recv() {
                Ok(event) => next_response(&event),
                Err(_) => return,
            }
        } else {
            accepted()
        };
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((key, value)) = header.split_once(':') {
            if key.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}

fn next_response(event: &[u8]) -> Vec<u8> {
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis()
        + 30_000;
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n\
         Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\n\
         Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n\r\n",
        event.len()
    )
    .into_bytes();
    response.extend_from_slice(event);
    response
}

fn accepted() -> Vec<u8> {
    let body = r#"{"status":"OK"}"#;
    format!(
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

// ------------------------------------------------------------------ arguments

struct Args {
    bin_dir: PathBuf,
    events: PathBuf,
    runs: usize,
    json: Option<PathBuf>,
    host_cert_layout: bool,
}

impl Args {
    fn parse() -> Self {
        let mut args = Args {
            bin_dir: PathBuf::from("target/release"),
            events: PathBuf::from("bench/events"),
            runs: 25,
            json: None,
            host_cert_layout: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--bin-dir" => args.bin_dir = value().into(),
                "--events" => args.events = value().into(),
                "--runs" => {
                    args.runs = value().parse().unwrap_or_else(|_| fail("--runs: a number"))
                }
                "--json" => args.json = Some(value().into()),
                "--host-cert-layout" => args.host_cert_layout = true,
                _ => fail(&format!("unknown argument {flag}")),
            }
        }
        args
    }
}

fn load_events(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("reading {}: {e}", dir.display())));
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let event = std::fs::read(&path).expect("read event");
            (name, event)
        })
        .collect()
}

fn fail(message: &str) -> ! {
    eprintln!("cold_start: {message}");
    std::process::exit(1)
}
