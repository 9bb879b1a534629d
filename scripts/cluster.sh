#!/usr/bin/env bash
# scripts/cluster.sh — saifu as a cluster on one machine, from Debian's
# packages: etcd, two PostgreSQL 15 nodes managed by Patroni (a synchronous
# standby), HAProxy in front of the primary and of three `saifu serve
# --demo` nodes. Loopback ports only; state under $SAIFU_CLUSTER_DIR.
#
#   scripts/cluster.sh up        start everything (installs missing packages as root)
#   scripts/cluster.sh status    leader, replica, lag; node health
#   scripts/cluster.sh failover  the test: SIGKILL the primary PostgreSQL, then a
#                                saifu node, under payment load; exits non-zero on
#                                any lost or duplicated acknowledgement
#   scripts/cluster.sh redteam   `saifu redteam` through the load balancer (the kill
#                                switch, throttles and idempotency across the nodes);
#                                once per `up` with operators (one bootstrap token)
#   scripts/cluster.sh down      stop everything and remove the state
#
# Ports: etcd 23790 (peer 23800); PostgreSQL pg0 54331, pg1 54332 (Patroni
# REST 18008, 18009); HAProxy: PostgreSQL primary 54330, saifu 18080 over
# nodes 18081-18083, stats 18070.
#
# Environment: SAIFU_CLUSTER_DIR (default /tmp/saifu-cluster), SAIFU_BIN (a
# saifu binary; default: built from this repository), PG_BIN (default
# /usr/lib/postgresql/15/bin), FAILOVER_CLIENTS (8), FAILOVER_SECONDS (40).
set -euo pipefail

DIR=${SAIFU_CLUSTER_DIR:-/tmp/saifu-cluster}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PostgreSQL refuses to run as root: as root it runs as postgres, else
# as the user running this script.
if [ "$(id -u)" = 0 ]; then PG_USER=postgres; else PG_USER=$(id -un); fi
PG_PASS=saifu-cluster-superuser
REPL_PASS=saifu-cluster-replicator
DB_URL="postgres://postgres:${PG_PASS}@127.0.0.1:54330/saifu?sslmode=disable"
LB=http://127.0.0.1:18080
# The nodes' public URL: the load balancer, by the name passkeys are bound to (--rp-id localhost).
PUBLIC=http://localhost:18080
NODES=(18081 18082 18083)
PGPORTS=(54331 54332)
RESTPORTS=(18008 18009)

log() { printf '%s cluster: %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "$*"; exit 1; }

# as_root runs a command as root (directly, or through sudo).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root or sudo for: $*"; fi
}

# ensure_packages installs what is missing from Debian's packages.
ensure_packages() {
	local missing=()
	command -v patroni >/dev/null || missing+=(patroni)
	dpkg -s python3-etcd >/dev/null 2>&1 || missing+=(python3-etcd)
	command -v etcd >/dev/null || missing+=(etcd-server)
	command -v etcdctl >/dev/null || missing+=(etcd-client)
	command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
	command -v curl >/dev/null || missing+=(curl)
	[ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
}

# wait_for runs "$@" until it succeeds, at most $1 seconds.
wait_for() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# start NAME USER CMD… runs CMD in the background as USER, its output in
# $DIR/log/NAME.log and its pid in $DIR/run/NAME.pid.
start() {
	local name=$1 user=$2; shift 2
	if [ "$user" = root ] || [ "$user" = "$(id -un)" ]; then
		setsid "$@" >>"$DIR/log/$name.log" 2>&1 < /dev/null &
	else
		setsid runuser -u "$user" -- "$@" >>"$DIR/log/$name.log" 2>&1 < /dev/null &
	fi
	echo $! >"$DIR/run/$name.pid"
	disown $!
}

pid_of() { [ -f "$DIR/run/$1.pid" ] && cat "$DIR/run/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }

saifu_bin() {
	if [ -n "${SAIFU_BIN:-}" ]; then echo "$SAIFU_BIN"; return; fi
	if [ ! -x "$DIR/bin/saifu" ]; then
		log "building saifu"
		mkdir -p "$DIR/bin"
		(cd "$REPO" && go build -o "$DIR/bin/saifu" ./cmd/saifu)
	fi
	echo "$DIR/bin/saifu"
}

patroni_yml() {
	local i=$1
	cat <<EOF
scope: saifu
namespace: /saifu-cluster/
name: pg$i
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${RESTPORTS[$i]}
  connect_address: 127.0.0.1:${RESTPORTS[$i]}
etcd3:
  hosts: 127.0.0.1:23790
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    # A crashed primary is failed over at once, not restarted in place
    # (synchronous_mode: the sync standby has every acknowledged commit).
    master_start_timeout: 0
    primary_start_timeout: 0
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_connections: 250
        max_wal_senders: 10
        max_replication_slots: 10
        shared_buffers: 64MB
  initdb:
    - encoding: UTF8
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:${PGPORTS[$i]}
  connect_address: 127.0.0.1:${PGPORTS[$i]}
  data_dir: $DIR/pg$i/data
  bin_dir: $PG_BIN
  pgpass: $DIR/pg$i/pgpass
  authentication:
    superuser: {username: postgres, password: $PG_PASS}
    replication: {username: replicator, password: $REPL_PASS}
    rewind: {username: postgres, password: $PG_PASS}
  parameters:
    unix_socket_directories: $DIR/pg$i
EOF
}

haproxy_cfg() {
	cat <<EOF
global
  maxconn 4000
  pidfile $DIR/run/haproxy.pid
defaults
  timeout connect 2s
  timeout check 1s
  timeout client 60s
  timeout server 60s
  log global
# PostgreSQL: only the node whose Patroni answers GET /primary 200.
# Long timeouts: a LISTEN connection (the kill-switch listener) idles.
listen postgres_primary
  bind 127.0.0.1:54330
  mode tcp
  timeout client 24h
  timeout server 24h
  option httpchk GET /primary
  http-check expect status 200
  # One 200 suffices to send connections to a node: Patroni answers it
  # only on the leader holding the lock in etcd.
  default-server inter 500ms fastinter 250ms downinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg0 127.0.0.1:${PGPORTS[0]} check port ${RESTPORTS[0]}
  server pg1 127.0.0.1:${PGPORTS[1]} check port ${RESTPORTS[1]}
# saifu: three stateless nodes. Only failed connections are retried here
# (never a request a node may have run): the client retries the rest
# with its Idempotency-Key.
frontend saifu
  bind 127.0.0.1:18080
  mode http
  option forwardfor
  default_backend saifu_nodes
backend saifu_nodes
  mode http
  balance roundrobin
  retries 3
  retry-on conn-failure
  option redispatch
  # /healthz (the process answers), not /readyz (it also pings the
  # database): a database failover would take every node out at once and
  # turn waits into 503s; the nodes ride it out (store: a transaction
  # that lost its connection before committing runs again).
  option httpchk GET /healthz
  default-server inter 500ms fastinter 250ms fall 2 rise 2
  server s1 127.0.0.1:${NODES[0]} check
  server s2 127.0.0.1:${NODES[1]} check
  server s3 127.0.0.1:${NODES[2]} check
listen stats
  bind 127.0.0.1:18070
  mode http
  stats enable
  stats uri /
  stats refresh 2s
EOF
}

# leader prints the name of Patroni's leader (pg0 or pg1), or fails.
leader() {
	local i
	for i in 0 1; do
		if curl -fs -o /dev/null "http://127.0.0.1:${RESTPORTS[$i]}/primary"; then echo "pg$i"; return 0; fi
	done
	return 1
}

start_saifu_node() {
	local n=$1 port=${NODES[$1]}
	start "saifu$n" root "$(saifu_bin)" serve --db "$DB_URL" --demo --addr "127.0.0.1:$port" \
		--public-url "$PUBLIC" --trusted-proxies 127.0.0.1/32 --idempotency-lease 5s --log-level warn
}

cmd_up() {
	if alive etcd; then log "already up (scripts/cluster.sh status)"; return 0; fi
	if [ -e "$DIR" ] && [ ! -e "$DIR/.saifu-cluster" ] && [ -n "$(ls -A "$DIR")" ]; then
		die "$DIR exists and is not a saifu cluster's directory: set SAIFU_CLUSTER_DIR to a new one"
	fi
	mkdir -p "$DIR/log" "$DIR/run" "$DIR/etcd"
	touch "$DIR/.saifu-cluster"
	ensure_packages
	local bin; bin=$(saifu_bin)
	chmod 755 "$DIR"
	[ -f "$DIR/secret.key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret.key"
	chmod 600 "$DIR/secret.key"

	log "etcd on 127.0.0.1:23790"
	start etcd root etcd --name e0 --data-dir "$DIR/etcd" --enable-v2=true \
		--listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
		--listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
		--initial-cluster e0=http://127.0.0.1:23800 --initial-cluster-state new
	wait_for 20 curl -fs http://127.0.0.1:23790/health || die "etcd did not start ($DIR/log/etcd.log)"

	local i
	for i in 0 1; do
		mkdir -p "$DIR/pg$i"
		patroni_yml "$i" >"$DIR/pg$i/patroni.yml"
		[ "$(id -u)" != 0 ] || chown -R "$PG_USER:$PG_USER" "$DIR/pg$i"
		chmod 700 "$DIR/pg$i"
		log "patroni pg$i: PostgreSQL 127.0.0.1:${PGPORTS[$i]}, REST 127.0.0.1:${RESTPORTS[$i]}"
		start "patroni$i" "$PG_USER" patroni "$DIR/pg$i/patroni.yml"
		if [ "$i" = 0 ]; then
			wait_for 60 curl -fs -o /dev/null http://127.0.0.1:18008/primary || die "pg0 did not become the leader ($DIR/log/patroni0.log)"
		fi
	done
	haproxy_cfg >"$DIR/haproxy.cfg"
	log "haproxy: PostgreSQL primary 127.0.0.1:54330, saifu 127.0.0.1:18080, stats 127.0.0.1:18070"
	start haproxy root haproxy -W -db -f "$DIR/haproxy.cfg"
	wait_for 20 env PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p 54330 -U postgres -d postgres -Atc 'SELECT 1' \
		|| die "no primary through HAProxy"
	log "waiting for the synchronous standby"
	wait_for 90 sync_standby || die "no synchronous standby ($DIR/log/patroni1.log)"
	PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p 54330 -U postgres -d postgres -Atc \
		"SELECT 1 FROM pg_database WHERE datname = 'saifu'" | grep -q 1 \
		|| PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p 54330 -U postgres -d postgres -qc 'CREATE DATABASE saifu'

	export SAIFU_SECRET_KEY; SAIFU_SECRET_KEY=$(cat "$DIR/secret.key")
	# The first node migrates and seeds the demo merchant (its key in
	# log/saifu0.log); the two others start together after it.
	log "saifu nodes on 127.0.0.1:${NODES[*]}"
	start_saifu_node 0
	wait_for 60 curl -fs "http://127.0.0.1:${NODES[0]}/readyz" || die "saifu node 0 did not start ($DIR/log/saifu0.log)"
	start_saifu_node 1
	start_saifu_node 2
	for i in 1 2; do
		wait_for 60 curl -fs "http://127.0.0.1:${NODES[$i]}/readyz" || die "saifu node $i did not start ($DIR/log/saifu$i.log)"
	done
	wait_for 10 curl -fs "$LB/readyz" || die "the load balancer does not answer"
	cmd_status
}

# sync_standby succeeds when the primary has a synchronous standby streaming.
sync_standby() {
	PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p 54330 -U postgres -d postgres -Atc \
		"SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'" | grep -q 1
}

cmd_status() {
	alive etcd || { echo "cluster: down"; return 1; }
	patronictl -c "$DIR/pg0/patroni.yml" list 2>/dev/null || echo "patronictl: no answer"
	PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p 54330 -U postgres -d postgres -Atc \
		"SELECT 'replication: ' || application_name || ' ' || state || ' ' || sync_state || ', replay lag ' || COALESCE(replay_lag::text, '0') || ', ' || pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) || ' bytes behind' FROM pg_stat_replication" 2>/dev/null \
		|| echo "replication: no primary through HAProxy"
	local i
	for i in 0 1 2; do
		printf 'saifu node %d (127.0.0.1:%s): %s\n' "$i" "${NODES[$i]}" "$(curl -fs -m 2 "http://127.0.0.1:${NODES[$i]}/readyz" >/dev/null && echo ready || echo DOWN)"
	done
	printf 'load balancer %s: %s\n' "$LB" "$(curl -fs -m 2 "$LB/readyz" >/dev/null && echo ready || echo DOWN)"
}

cmd_down() {
	local name p
	for name in saifu0 saifu1 saifu2 haproxy patroni0 patroni1; do
		p=$(pid_of "$name") || continue
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
	done
	sleep 2
	# PostgreSQL postmasters left behind by a killed Patroni, then the rest.
	for i in 0 1; do
		if [ -f "$DIR/pg$i/data/postmaster.pid" ]; then
			p=$(head -1 "$DIR/pg$i/data/postmaster.pid")
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	for name in saifu0 saifu1 saifu2 haproxy patroni0 patroni1 etcd; do
		p=$(pid_of "$name") || continue
		kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
	done
	sleep 0.5
	# Only a directory `up` made is removed.
	if [ -e "$DIR/.saifu-cluster" ]; then
		rm -rf "$DIR"
		log "down; $DIR removed"
	else
		log "down; $DIR is not a saifu cluster's directory: left alone"
	fi
}

# cmd_failover is the test. One load run through the load balancer; at
# +KILL_PG_AT s the leader's postmaster is SIGKILLed (Patroni promotes the
# synchronous standby), at +KILL_NODE_AT s one saifu node is SIGKILLed (and
# restarted a few seconds later). The bench retries each failed request
# with its Idempotency-Key, then checks every acknowledged payment against
# the database and replays it; `saifu verify` runs last.
cmd_failover() {
	alive etcd || cmd_up
	local bin; bin=$(saifu_bin)
	export SAIFU_SECRET_KEY; SAIFU_SECRET_KEY=$(cat "$DIR/secret.key")
	local secs=${FAILOVER_SECONDS:-40} clients=${FAILOVER_CLIENTS:-8}
	local kill_pg_at=$((secs / 4)) kill_node_at=$((secs * 5 / 8))
	local out="$DIR/failover.txt" rec="$DIR/failover-acks.jsonl"
	log "load: $clients clients for ${secs}s through $LB; the primary PostgreSQL is killed at +${kill_pg_at}s, saifu node 1 at +${kill_node_at}s"
	"$bin" bench pay --target "$LB" --db "$DB_URL" --clients "$clients" --users 20 --duration "${secs}s" \
		--record "$rec" --retry-for 60s >"$out" 2>"$DIR/log/bench.log" &
	local bench=$!
	# The load starts after the set-up (users, KYC): wait for its line.
	wait_for 120 grep -q '^load started' "$out" || { kill "$bench" 2>/dev/null; die "the bench did not start ($DIR/log/bench.log)"; }
	local t0=$SECONDS
	sleep "$kill_pg_at"
	local old; old=$(leader) || die "no leader before the kill"
	local pm; pm=$(head -1 "$DIR/${old}/data/postmaster.pid")
	log "SIGKILL the primary PostgreSQL: $old postmaster pid $pm"
	kill -KILL "$pm"
	local killed_pg; killed_pg=$(date -u +%H:%M:%S.%3N)
	local new=""
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		new=$(leader 2>/dev/null) && [ "$new" != "$old" ] && break
		new=""
		sleep 0.2
	done
	local promoted; promoted=$(date -u +%H:%M:%S.%3N)
	[ -n "$new" ] && log "Patroni promoted $new at $promoted" || log "no new leader within 60s"
	sleep $((t0 + kill_node_at - SECONDS > 0 ? t0 + kill_node_at - SECONDS : 0))
	local np; np=$(pid_of saifu1)
	# Mid-payment: when HAProxy counts a request in progress on it.
	local cur=0 end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		cur=$(curl -fs 'http://127.0.0.1:18070/;csv' | awk -F, '$1 == "saifu_nodes" && $2 == "s2" { print $5 }')
		[ "${cur:-0}" -ge 1 ] && break
	done
	log "SIGKILL saifu node 1 (pid $np) with ${cur:-0} request(s) in progress on it"
	kill -KILL "$np"
	local killed_node; killed_node=$(date -u +%H:%M:%S.%3N)
	sleep 3
	start_saifu_node 1
	log "saifu node 1 restarted"
	local rc=0
	wait "$bench" || rc=$?
	cat "$out"
	echo "primary PostgreSQL $old SIGKILLed at $killed_pg; $new leader at $promoted; saifu node 1 SIGKILLed at $killed_node (clock UTC)"
	[ -n "$new" ] || rc=1
	[ "$rc" = 0 ] || echo "FAILOVER: the bench failed (exit $rc; $DIR/log/bench.log)"
	echo "saifu verify:"
	"$bin" verify --db "$DB_URL" || { echo "FAILOVER: saifu verify failed"; rc=1; }
	cmd_status || true
	[ "$rc" = 0 ] && echo "FAILOVER: PASS" || echo "FAILOVER: FAIL"
	return "$rc"
}

# cmd_redteam runs the red team through the load balancer: requests
# spread over the three nodes, so the kill switch must hold on a node
# other than the one that turned it off, and a credential-stuffing flood
# must be throttled as one.
cmd_redteam() {
	alive etcd || cmd_up
	local bin; bin=$(saifu_bin)
	export SAIFU_SECRET_KEY; SAIFU_SECRET_KEY=$(cat "$DIR/secret.key")
	local key; key=$(awk '/secret key:/ { print $3; exit }' "$DIR/log/saifu0.log")
	local token; token=$("$bin" ops bootstrap --db "$DB_URL" 2>/dev/null | awk '/^bootstrap_token:/ { print $2 }') || true
	[ -n "$token" ] || log "no bootstrap token (an admin exists already: a red team ran on this cluster); the operator scenarios are skipped"
	"$bin" redteam --target "$LB" --merchant-key "$key" ${token:+--ops-bootstrap-token "$token"} "$@"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
failover) cmd_failover ;;
redteam) shift; cmd_redteam "$@" ;;
*) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
