//! The systems under load: one name per server, and what each needs.

use std::fmt;

/// The web framework a system runs on; CPU is compared within one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// axum 0.8 on a tokio runtime with 2 workers.
    Axum,
    /// actix-web 4 with 2 workers.
    Actix,
}

/// One server of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// axum, no sessions: the user id and counter in a clear cookie.
    BaselineAxum,
    /// `SessionLayer` on a `CookieStore` (encrypted).
    OursCookie,
    /// `SessionLayer` on a `MemoryStore`.
    OursMemory,
    /// `SessionLayer` on a `RedisStore`.
    OursRedis,
    /// `SessionLayer` on a `FileStore`.
    OursFiles,
    /// tower-sessions with its `MemoryStore`.
    TowerSessionsMemory,
    /// tower-sessions with tower-sessions-redis-store (fred).
    TowerSessionsRedis,
    /// axum-extra's `PrivateCookieJar` with the session as JSON.
    AxumExtraPrivate,
    /// actix-web, no sessions: the same clear cookie as `BaselineAxum`.
    BaselineActix,
    /// actix-session's `CookieSessionStore` (private, the default).
    ActixSessionCookie,
    /// actix-session's `RedisSessionStore`.
    ActixSessionRedis,
    /// `sessions::actix::SessionMiddleware` on a `CookieStore`.
    OursActixCookie,
    /// `sessions::actix::SessionMiddleware` on a `RedisStore`.
    OursActixRedis,
}

impl System {
    /// Every system, in the order of the report.
    pub const ALL: [Self; 13] = [
        Self::BaselineAxum,
        Self::OursCookie,
        Self::OursMemory,
        Self::OursRedis,
        Self::OursFiles,
        Self::TowerSessionsMemory,
        Self::TowerSessionsRedis,
        Self::AxumExtraPrivate,
        Self::BaselineActix,
        Self::ActixSessionCookie,
        Self::ActixSessionRedis,
        Self::OursActixCookie,
        Self::OursActixRedis,
    ];

    /// The name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::BaselineAxum => "baseline-axum",
            Self::OursCookie => "ours-cookie",
            Self::OursMemory => "ours-memory",
            Self::OursRedis => "ours-redis",
            Self::OursFiles => "ours-files",
            Self::TowerSessionsMemory => "tower-sessions-memory",
            Self::TowerSessionsRedis => "tower-sessions-redis",
            Self::AxumExtraPrivate => "axum-extra-private",
            Self::BaselineActix => "baseline-actix",
            Self::ActixSessionCookie => "actix-session-cookie",
            Self::ActixSessionRedis => "actix-session-redis",
            Self::OursActixCookie => "ours-actix-cookie",
            Self::OursActixRedis => "ours-actix-redis",
        }
    }

    /// The system called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|system| system.name() == name)
    }

    /// The framework it runs on.
    pub fn framework(self) -> Framework {
        match self {
            Self::BaselineActix
            | Self::ActixSessionCookie
            | Self::ActixSessionRedis
            | Self::OursActixCookie
            | Self::OursActixRedis => Framework::Actix,
            _ => Framework::Axum,
        }
    }

    /// The same framework without sessions, which CPU is compared with.
    #[must_use]
    pub fn baseline(self) -> Self {
        match self.framework() {
            Framework::Axum => Self::BaselineAxum,
            Framework::Actix => Self::BaselineActix,
        }
    }

    /// Whether its server starts a `redis-server` of its own.
    pub fn needs_redis(self) -> bool {
        matches!(
            self,
            Self::OursRedis
                | Self::TowerSessionsRedis
                | Self::ActixSessionRedis
                | Self::OursActixRedis
        )
    }

    /// Whether its server keeps sessions in a temporary directory.
    pub fn needs_dir(self) -> bool {
        self == Self::OursFiles
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
