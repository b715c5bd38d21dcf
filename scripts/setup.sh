#!/usr/bin/env bash
# Installs what the test suite needs that cargo cannot fetch, from Debian's
# packages:
# - redis-server and redis-cli, for the RedisStore tests, which start their
#   own servers on free loopback ports (one server, a six-node Cluster joined
#   with `redis-cli --cluster create`, a primary with a replica and three
#   sentinels run by `redis-server --sentinel`, and a TLS server);
# - chromium and chromedriver (packages chromium and chromium-driver), for
#   the demo's browser test (examples/tests/demo_browser.rs), which starts
#   its own chromedriver on a free loopback port and drives two headless
#   browsers;
# - postgresql, for the PostgresStore tests, which run `initdb` and `pg_ctl`
#   from /usr/lib/postgresql/<version>/bin (not on PATH) to start their own
#   server in a temporary directory on a free loopback port.
# Safe to run again: it installs only what is missing. Needs root or sudo on
# Debian/Ubuntu.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
apt_updated=no

apt_install() {
    if [ "$apt_updated" = no ]; then
        "${sudo_cmd[@]}" apt-get update -qq
        apt_updated=yes
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_redis() {
    ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1
}

need_chromium() {
    ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1
}

need_postgres() {
    ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ||
        ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

if need_redis; then
    echo "installing redis-server (Debian package)"
    apt_install redis-server
    # The package starts a system-wide server; the tests start their own.
    "${sudo_cmd[@]}" service redis-server stop >/dev/null 2>&1 || true
fi

if need_chromium; then
    echo "installing chromium and chromium-driver (Debian packages)"
    apt_install chromium chromium-driver
fi

if need_postgres; then
    echo "installing postgresql (Debian package)"
    apt_install postgresql
    # The package starts a system-wide cluster; the tests start their own.
    "${sudo_cmd[@]}" service postgresql stop >/dev/null 2>&1 || true
fi

if need_redis; then
    echo "redis-server is still missing after the install step" >&2
    exit 1
fi
if need_chromium; then
    echo "chromium or chromedriver is still missing after the install step" >&2
    exit 1
fi
if need_postgres; then
    echo "initdb or pg_ctl (postgresql) is still missing after the install step" >&2
    exit 1
fi
redis-server --version
redis-cli --version
chromium --version
chromedriver --version
"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version
