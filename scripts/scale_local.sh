#!/usr/bin/env bash
# Scale-out services on this machine: PostgreSQL (the Dagster instance's database), Redis (the Celery broker) and
# Celery workers that run the pipeline's steps. See docs/scale.md.
#
#   scripts/scale_local.sh up [WORKERS]   start what is not running (WORKERS Celery workers, default 2); prints the
#                                         environment to export in the shell that runs Dagster
#   WITH_S3=1 scripts/scale_local.sh up   also an S3-compatible server (moto's server mode, :$MMP_S3_PORT, default
#                                         5300) with a bucket `mmp`: the data root becomes s3://mmp/data
#   scripts/scale_local.sh down           stop the workers, Redis and PostgreSQL
#
# State lives in $MMP_SCALE_DIR (default .scale/ in the checkout). Ports: $MMP_PG_PORT (5433), $MMP_REDIS_PORT (6380).
# The workers need the same MMP_DATA_ROOT (and MMP_CONFIG) as the webserver and daemon: export them first. With an
# object-store data root (s3://...) and $MMP_WORK_DIR set, each worker keeps its own working copy under
# $MMP_WORK_DIR/mmp<i>, as workers on separate machines would.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(mkdir -p "${MMP_SCALE_DIR:-.scale}" && cd "${MMP_SCALE_DIR:-.scale}" && pwd)
PG_PORT=${MMP_PG_PORT:-5433}
REDIS_PORT=${MMP_REDIS_PORT:-6380}
VENV=${VENV:-.venv}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "scale_local: PostgreSQL is not installed (WITH_SCALE=1 bash scripts/setup.sh)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "scale_local: redis-server is not installed (WITH_SCALE=1 bash scripts/setup.sh)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
BROKER="redis://127.0.0.1:$REDIS_PORT/0"
PG_URL="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT/postgres"
S3_PORT=${MMP_S3_PORT:-5300}
S3_ENV=""

s3_up() {  # an S3-compatible server on loopback for trying the object-store data root on one machine
  S3_ENV="MMP_DATA_ROOT=s3://mmp/data AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1"
  S3_ENV="$S3_ENV AWS_ENDPOINT_URL_S3=http://127.0.0.1:$S3_PORT"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$DIR/s3.log" 2>&1 &
    echo $! >"$DIR/s3.pid"
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break; sleep 0.2; done
  fi
  env $S3_ENV "$VENV/bin/python" -c "import s3fs; fs = s3fs.S3FileSystem(); fs.exists('mmp') or fs.mkdir('mmp')"
  export $S3_ENV
}

up() {
  local workers=${1:-2}
  mkdir -p "$DIR/pg" "$DIR/pgsock" "$DIR/workers"
  if [ "${WITH_S3:-0}" = 1 ]; then s3_up; fi
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR/pg" "$DIR/pgsock"; fi
  [ -f "$DIR/pg/PG_VERSION" ] || as_pg "$PGBIN/initdb" -D "$DIR/pg" -A trust -U postgres >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1 || as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -w \
    -l "$DIR/pg/server.log" -o "-p $PG_PORT -k $DIR/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
  # the heavy steps' pools (one ASR or training step per worker at most), set before any run: when several runs
  # create a pool's default limit at the same moment, PostgreSQL aborts all but one of them (dagster-io/dagster#33552)
  mkdir -p "$DIR/home" && cp deploy/celery/dagster.yaml "$DIR/home/dagster.yaml"
  for pool in asr training; do
    DAGSTER_HOME="$DIR/home" MMP_POSTGRES_URL="$PG_URL" "$VENV/bin/dagster" instance concurrency set "$pool" "$workers" \
      >/dev/null
  done
  for i in $(seq 1 "$workers"); do
    pid="$DIR/workers/$i.pid"
    if [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; then continue; fi
    work=${MMP_WORK_DIR:+$MMP_WORK_DIR/mmp$i}
    MMP_WORK_DIR="$work" MMP_EXECUTOR=celery MMP_CELERY_BROKER="$BROKER" MMP_POSTGRES_URL="$PG_URL" PYTHONPATH="$PWD/deploy/celery${PYTHONPATH:+:$PYTHONPATH}" \
      "$VENV/bin/celery" -A dagster_celery.app worker -Q dagster -n "mmp$i@%h" --concurrency 1 \
      --prefetch-multiplier 1 --detach --pidfile "$pid" --logfile "$DIR/workers/$i.log" --loglevel INFO
  done
  echo "export MMP_EXECUTOR=celery MMP_CELERY_BROKER=$BROKER MMP_POSTGRES_URL=$PG_URL${S3_ENV:+ $S3_ENV}"
}

down() {
  for pid in "$DIR"/workers/*.pid; do
    [ -f "$pid" ] || continue
    kill "$(cat "$pid")" 2>/dev/null || true
    rm -f "$pid"
  done
  if [ -f "$DIR/s3.pid" ]; then kill "$(cat "$DIR/s3.pid")" 2>/dev/null || true; rm -f "$DIR/s3.pid"; fi
  if [ -f "$DIR/redis.pid" ]; then kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; rm -f "$DIR/redis.pid"; fi
  [ -f "$DIR/pg/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  down) down ;;
  *) echo "usage: scripts/scale_local.sh up [WORKERS] | down" >&2; exit 2 ;;
esac
