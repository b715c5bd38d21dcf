//! One server process (`loadbench serve <system>`): its store's resources
//! (a `redis-server`, a directory), the app on a loopback port, and a line
//! on stdout once it serves. It runs until its stdin closes, then stops
//! its `redis-server` and removes its directory.

use std::io::{self, Write as _};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use sessions::{CookieStore, FileStore, Key, MemoryStore, RedisStore, SessionLayer};
use sessions_tests::TempDir;
use sessions_tests::redis_server::RedisServer;

use super::system::{Framework, System};
use super::{actix_apps, axum_ours, axum_peers};

/// Worker threads of both frameworks: the machine has 2 cores.
pub const WORKERS: usize = 2;

/// The line a server prints once it serves, before its port and the pid of
/// its `redis-server` (0 when it has none).
pub const READY: &str = "ready";

/// Where a server keeps sessions: a Redis URL, a directory.
pub struct Resources {
    redis: Option<RedisServer>,
    dir: Option<TempDir>,
}

impl Resources {
    /// Starts what `system` keeps sessions in: a `redis-server`, a
    /// directory, or nothing.
    pub fn for_system(system: System) -> Self {
        Self {
            redis: system.needs_redis().then(RedisServer::start),
            dir: system.needs_dir().then(TempDir::new),
        }
    }

    /// The URL of its `redis-server`, if it has one.
    pub fn url(&self) -> Option<String> {
        self.redis.as_ref().map(RedisServer::url)
    }

    /// The store's directory, if it has one.
    pub fn store_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.path().join("sessions"))
    }
}

/// Serves `system` until stdin closes.
pub fn serve(system: System) -> io::Result<()> {
    let resources = Resources::for_system(system);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let (ready, is_ready) = mpsc::channel();
    let (url, dir) = (resources.url(), resources.store_dir());
    std::thread::spawn(move || match system.framework() {
        Framework::Axum => run_axum(system, listener, url, dir, &ready),
        Framework::Actix => run_actix(system, listener, url, &ready),
    });
    is_ready
        .recv()
        .map_err(|_| io::Error::other("the server failed to start"))?;
    let redis_pid = resources
        .redis
        .as_ref()
        .and_then(RedisServer::pid)
        .unwrap_or(0);
    println!("{READY} {port} {redis_pid}");
    io::stdout().flush()?;
    io::copy(&mut io::stdin(), &mut io::sink())?;
    // Drops stop the redis-server and remove the directory; the server
    // threads die with the process.
    drop(resources);
    std::process::exit(0)
}

fn run_axum(
    system: System,
    listener: TcpListener,
    url: Option<String>,
    dir: Option<PathBuf>,
    ready: &mpsc::Sender<()>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        // Blocking-pool threads (FileStore's I/O) stay alive between
        // rounds, so that no thread's CPU time leaves the process's
        // counters with it (see cpu.rs).
        .thread_keep_alive(Duration::from_hours(24))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let ready = ready.clone();
    // Spawned so that the accept loop too runs on the 2 workers.
    let server = rt.spawn(async move {
        let app = axum_app(system, url, dir).await;
        let listener = tokio::net::TcpListener::from_std(listener)
            .expect("a tokio listener")
            .tap_io(|tcp| {
                tcp.set_nodelay(true).ok();
            });
        ready.send(()).expect("the main thread waits");
        axum::serve(listener, app).await
    });
    rt.block_on(server)
        .expect("the server task does not panic")
        .expect("the server runs");
}

/// The axum app of `system`, on the store at `url` or in `dir`.
///
/// # Panics
///
/// For an actix system, or when its store cannot be reached.
pub async fn axum_app(system: System, url: Option<String>, dir: Option<PathBuf>) -> Router {
    let url = || url.clone().expect("a Redis system has a redis-server");
    match system {
        System::BaselineAxum => axum_ours::baseline(),
        System::OursCookie => axum_ours::ours(SessionLayer::new(CookieStore::new(Key::generate()))),
        System::OursMemory => axum_ours::ours(SessionLayer::new(MemoryStore::new(Key::generate()))),
        System::OursRedis => {
            let store = RedisStore::connect(&url(), Key::generate())
                .await
                .expect("Redis answers");
            axum_ours::ours(SessionLayer::new(store))
        }
        System::OursFiles => {
            let dir = dir.expect("a file system has a directory");
            let store = FileStore::open(dir, Key::generate()).expect("the store opens");
            axum_ours::ours(SessionLayer::new(store))
        }
        System::TowerSessionsMemory => {
            axum_peers::tower_sessions(tower_sessions::MemoryStore::default())
        }
        System::TowerSessionsRedis => axum_peers::tower_sessions(fred_store(&url()).await),
        System::AxumExtraPrivate => axum_peers::private_jar(),
        System::BaselineActix
        | System::ActixSessionCookie
        | System::ActixSessionRedis
        | System::OursActixCookie
        | System::OursActixRedis => unreachable!("{system} runs on actix"),
    }
}

/// tower-sessions-redis-store on one fred client (it pipelines), as ours
/// and actix-session use one multiplexed connection.
async fn fred_store(
    url: &str,
) -> tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Client> {
    use tower_sessions_redis_store::fred::prelude::{ClientLike as _, Config};
    let config = Config::from_url(url).expect("a valid Redis URL");
    let client = tower_sessions_redis_store::fred::prelude::Client::new(config, None, None, None);
    client.init().await.expect("Redis answers");
    tower_sessions_redis_store::RedisStore::new(client)
}

/// Starts an actix `HttpServer` of the app `factory` on the 2 workers,
/// tells the main thread, and serves. A macro because each app is its own
/// type, with bounds too long to spell.
macro_rules! serve_actix {
    ($listener:expr, $ready:expr, $factory:expr) => {{
        let server = actix_web::HttpServer::new($factory)
            .workers(WORKERS)
            .listen($listener)
            .expect("actix takes the listener")
            .run();
        $ready.send(()).expect("the main thread waits");
        server.await.expect("the server runs");
    }};
}

fn run_actix(system: System, listener: TcpListener, url: Option<String>, ready: &mpsc::Sender<()>) {
    use actix_session::storage::{CookieSessionStore, RedisSessionStore};
    use actix_web::App;
    use actix_web::cookie::Key;
    use sessions::actix::SessionMiddleware as OursMiddleware;

    use super::actix_apps::Handlers;

    listener
        .set_nonblocking(false)
        .expect("actix takes a blocking listener");
    let key = Key::generate();
    actix_web::rt::System::new().block_on(async move {
        match system {
            System::BaselineActix => serve_actix!(listener, ready, || {
                App::new().configure(|config| actix_apps::routes(config, Handlers::Bare))
            }),
            System::ActixSessionCookie => serve_actix!(listener, ready, move || {
                App::new()
                    .wrap(actix_apps::middleware(
                        CookieSessionStore::default(),
                        key.clone(),
                    ))
                    .configure(|config| actix_apps::routes(config, Handlers::ActixSession))
            }),
            System::ActixSessionRedis => {
                let url = url.expect("a Redis system has a redis-server");
                let store = RedisSessionStore::new(url).await.expect("Redis answers");
                serve_actix!(listener, ready, move || {
                    App::new()
                        .wrap(actix_apps::middleware(store.clone(), key.clone()))
                        .configure(|config| actix_apps::routes(config, Handlers::ActixSession))
                });
            }
            System::OursActixCookie => {
                let layer = SessionLayer::new(CookieStore::new(sessions::Key::generate()));
                serve_actix!(listener, ready, move || {
                    App::new()
                        .wrap(OursMiddleware::from(layer.clone()))
                        .configure(|config| actix_apps::routes(config, Handlers::Ours))
                });
            }
            System::OursActixRedis => {
                let url = url.expect("a Redis system has a redis-server");
                let store = RedisStore::connect(&url, sessions::Key::generate())
                    .await
                    .expect("Redis answers");
                let layer = SessionLayer::new(store);
                serve_actix!(listener, ready, move || {
                    App::new()
                        .wrap(OursMiddleware::from(layer.clone()))
                        .configure(|config| actix_apps::routes(config, Handlers::Ours))
                });
            }
            _ => unreachable!("{system} runs on axum"),
        }
    });
}
