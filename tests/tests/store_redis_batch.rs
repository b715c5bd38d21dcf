//! The sessions of one request saved to one Redis share one round trip.
//!
//! Between the store and a real `redis-server` sits a proxy that holds
//! every reply back for [`REPLY_DELAY`] and notes when each burst of
//! commands arrives. A client that waits for a reply before its next
//! command cannot send it sooner than that delay after the previous one;
//! commands sent together as one pipeline arrive in one burst. So the
//! number of bursts is the number of round trips, whatever the speed of
//! the machine.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::header::{COOKIE, SET_COOKIE};
use sessions::{Key, MapSession, RedisStore, SessionConfig, Sessions};
use sessions_tests::redis_server::RedisServer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// How long the proxy holds each reply back.
const REPLY_DELAY: Duration = Duration::from_millis(40);

/// Arrivals closer than this are one burst: far below [`REPLY_DELAY`],
/// far above the gap between two writes of one pipeline.
const SAME_BURST: Duration = Duration::from_millis(20);

/// When each chunk of commands reached the proxy.
#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<Vec<Instant>>>);

impl Arrivals {
    fn note(&self) {
        self.0.lock().unwrap().push(Instant::now());
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// Round trips since the last `clear`.
    fn bursts(&self) -> usize {
        let times = self.0.lock().unwrap();
        let gaps = times.windows(2).filter(|w| w[1] - w[0] > SAME_BURST);
        usize::from(!times.is_empty()) + gaps.count()
    }
}

/// A proxy to `port` on a free loopback port: the port, and the arrivals.
async fn delaying_proxy(port: u16) -> (u16, Arrivals) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_port = listener.local_addr().unwrap().port();
    let arrivals = Arrivals::default();
    let noted = arrivals.clone();
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let server = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            relay(client, server, noted.clone());
        }
    });
    (proxy_port, arrivals)
}

/// Commands go through at once, noted; replies after [`REPLY_DELAY`].
fn relay(client: TcpStream, server: TcpStream, arrivals: Arrivals) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let mut buffer = vec![0; 1 << 16];
        while let Ok(n @ 1..) = client_read.read(&mut buffer).await {
            arrivals.note();
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut buffer = vec![0; 1 << 16];
        while let Ok(n @ 1..) = server_read.read(&mut buffer).await {
            tokio::time::sleep(REPLY_DELAY).await;
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
}

fn request(sessions: &Sessions, cookies: &[String]) -> http::Request<()> {
    let mut req = http::Request::new(());
    for cookie in cookies {
        req.headers_mut().append(COOKIE, cookie.parse().unwrap());
    }
    sessions.attach(&mut req);
    req
}

/// The `name=value` pairs a response sets.
fn cookies_of(res: &http::Response<()>) -> Vec<String> {
    let lines = res.headers().get_all(SET_COOKIE).iter();
    let pairs = lines.map(|line| line.to_str().unwrap().split(';').next().unwrap().to_owned());
    pairs.collect()
}

/// Loads the sessions `a`, `b` and `c`, sets `n` in each; the cookies set.
async fn save_three(
    sessions: &Sessions,
    cookies: &[String],
    n: u32,
    arrivals: &Arrivals,
) -> (usize, Vec<String>) {
    let req = request(sessions, cookies);
    for name in ["a", "b", "c"] {
        let session = MapSession::load(&req, SessionConfig::new(name))
            .await
            .unwrap();
        let before = (n > 1).then(|| n - 1);
        assert_eq!(session.get::<u32>("n").unwrap(), before, "{name}");
        session.insert("n", &n).unwrap();
    }
    arrivals.clear();
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.unwrap();
    (arrivals.bursts(), cookies_of(&res))
}

#[tokio::test]
async fn three_sessions_of_one_request_are_saved_in_one_round_trip() {
    let redis = RedisServer::start();
    let (port, arrivals) = delaying_proxy(redis.port()).await;
    let url = format!("redis://127.0.0.1:{port}/");
    let store = RedisStore::connect(&url, Key::generate()).await.unwrap();
    let sessions = Sessions::new(store);

    // Three new sessions: three creates, one round trip.
    let (round_trips, cookies) = save_three(&sessions, &[], 1, &arrivals).await;
    assert_eq!(round_trips, 1, "creates");
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"], "cookies in load order");

    // Redis learns the update script on the first update (NOSCRIPT, then
    // its text): two round trips, the second shared by all three too.
    let (round_trips, _) = save_three(&sessions, &cookies, 2, &arrivals).await;
    assert_eq!(round_trips, 2, "first updates");
    for n in 3..6 {
        let (round_trips, _) = save_three(&sessions, &cookies, n, &arrivals).await;
        assert_eq!(round_trips, 1, "updates, round {n}");
    }
    // The proxy did delay: a load alone is one round trip of that delay.
    let req = request(&sessions, &cookies);
    let started = Instant::now();
    let session = MapSession::load(&req, SessionConfig::new("a"))
        .await
        .unwrap();
    assert!(started.elapsed() >= REPLY_DELAY);
    assert_eq!(session.get::<u32>("n").unwrap(), Some(5));
}
