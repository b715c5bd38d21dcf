#!/usr/bin/env bash
# Installs what the test suite needs that cargo cannot fetch: today,
# redis-server and redis-cli for the RedisStore tests, which start their own
# servers on free loopback ports (one server, a six-node Cluster joined with
# `redis-cli --cluster create`, a primary with a replica and three sentinels
# run by `redis-server --sentinel`, and a TLS server). Safe to run again: it
# installs only what is missing. Needs root or sudo on Debian/Ubuntu.
set -euo pipefail

need_redis() {
    ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1
}

if need_redis; then
    echo "installing redis-server (Debian package)"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    # The package starts a system-wide server; the tests start their own.
    "${sudo_cmd[@]}" service redis-server stop >/dev/null 2>&1 || true
fi

if need_redis; then
    echo "redis-server is still missing after the install step" >&2
    exit 1
fi
redis-server --version
redis-cli --version
