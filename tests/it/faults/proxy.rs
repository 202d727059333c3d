//! A byte-level fault proxy in front of the loopback Alpaca mock: every request gets its own
//! connection (`Connection: close` is added on the way up), so each one can be matched by its
//! request line and answered with a reset, a hang, a canned status or a broken body.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// RST before the venue sees the request.
    Reset,
    /// The venue acts, then the connection is reset instead of answering.
    ForwardThenReset,
    /// The venue acts; the answer is held this long (longer than the client's timeout).
    ForwardThenHang(Duration),
    /// Answered here with this status and raw body; the venue never sees the request.
    Raw(u16, &'static str),
    /// The venue acts, but the client gets this status and raw body instead of its answer.
    ForwardThenRaw(u16, &'static str),
    /// Raw bytes after the venue acted (e.g. a Content-Length longer than the body).
    ForwardThenBytes(&'static str),
}

#[derive(Debug, Clone)]
struct Armed {
    /// Prefix of the request line, e.g. `POST /v2/orders ` or `GET /v2/stocks/bars?`.
    prefix: &'static str,
    fault: Fault,
    times: usize,
}

#[derive(Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<Vec<Armed>>>,
    /// Request lines that met a fault, in order.
    pub hits: Arc<Mutex<Vec<String>>>,
    /// Every request line, in order.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Faults {
    pub fn arm(&self, prefix: &'static str, fault: Fault, times: usize) {
        let a = Armed {
            prefix,
            fault,
            times,
        };
        self.armed.lock().unwrap().push(a);
    }

    pub fn hit_count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }

    /// How many requests whose line starts with `prefix` the client sent.
    pub fn sent(&self, prefix: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|l| l.starts_with(prefix)).count()
    }

    fn take(&self, line: &str) -> Option<Fault> {
        let mut armed = self.armed.lock().unwrap();
        let a = armed
            .iter_mut()
            .find(|a| a.times > 0 && line.starts_with(a.prefix))?;
        a.times -= 1;
        self.hits.lock().unwrap().push(line.to_string());
        Some(a.fault.clone())
    }
}

/// Serve on 127.0.0.1:0 in front of `upstream` (`http://127.0.0.1:port`); returns the base URL.
pub async fn start(upstream: &str, faults: Faults) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let up = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (up, faults) = (up.clone(), faults.clone());
            tokio::spawn(async move {
                // Every exchange is bounded: a stuck one ends with its connection.
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), serve(conn, &up, faults)).await;
            });
        }
    });
    format!("http://{addr}")
}

fn canned(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Fault\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

// Deprecated because a non-zero linger blocks the thread on drop; a zero linger never waits.
#[allow(deprecated)]
fn reset(conn: TcpStream) {
    // Linger 0: close sends RST, which the client sees as "connection reset by peer".
    let _ = conn.set_linger(Some(Duration::ZERO));
    drop(conn);
}

/// Read the whole request (head + Content-Length body).
async fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Send the request upstream with `Connection: close` and return its whole answer.
async fn forward(req: &[u8], up: &str) -> Option<Vec<u8>> {
    let line_end = req.windows(2).position(|w| w == b"\r\n")?;
    let mut out = req[..line_end + 2].to_vec();
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&req[line_end + 2..]);
    let mut s = TcpStream::connect(up).await.ok()?;
    s.write_all(&out).await.ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.ok()?;
    Some(resp)
}

async fn serve(mut conn: TcpStream, up: &str, faults: Faults) {
    let Some(req) = read_request(&mut conn).await else {
        return;
    };
    let line = String::from_utf8_lossy(&req[..req.iter().position(|b| *b == b'\r').unwrap_or(0)])
        .to_string();
    faults.seen.lock().unwrap().push(line.clone());
    let answer = match faults.take(&line) {
        None => forward(&req, up).await,
        Some(Fault::Reset) => return reset(conn),
        Some(Fault::ForwardThenReset) => {
            let _ = forward(&req, up).await;
            return reset(conn);
        }
        Some(Fault::ForwardThenHang(d)) => {
            let resp = forward(&req, up).await;
            tokio::time::sleep(d).await;
            resp
        }
        Some(Fault::Raw(status, body)) => Some(canned(status, body).into_bytes()),
        Some(Fault::ForwardThenRaw(status, body)) => {
            let _ = forward(&req, up).await;
            Some(canned(status, body).into_bytes())
        }
        Some(Fault::ForwardThenBytes(bytes)) => {
            let _ = forward(&req, up).await;
            Some(bytes.as_bytes().to_vec())
        }
    };
    if let Some(a) = answer {
        let _ = conn.write_all(&a).await;
        let _ = conn.shutdown().await;
    }
}
