#!/usr/bin/env bash
# Run every check and test of cacheroi: the README's test command, and what CI runs.
# Installs the real services the tests use when they are missing (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
# The build goes where `cargo run` puts it (./target), or to
# $CARGO_TARGET_DIR when set (.ci/run sets a cache that outlives the clone):
# the README's two commands build once.

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# LibreOffice recalculates roi.xlsx in the tests (without its recommends: ~300 MB less).
need_lean=()
command -v soffice >/dev/null 2>&1 || need_lean+=(libreoffice-calc)
# The Prometheus tests run a real Prometheus (promtool too), redis_exporter,
# node_exporter and Pushgateway.
command -v prometheus >/dev/null 2>&1 || need_lean+=(prometheus)
command -v prometheus-redis-exporter >/dev/null 2>&1 || need_lean+=(prometheus-redis-exporter)
command -v prometheus-node-exporter >/dev/null 2>&1 || need_lean+=(prometheus-node-exporter)
command -v prometheus-pushgateway >/dev/null 2>&1 || need_lean+=(prometheus-pushgateway)
# The nginx access-log tests run a real nginx (proxy_cache) in the foreground.
new_nginx=
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  need_lean+=(nginx-light)
  new_nginx=1
fi
if [ ${#need_apt[@]} -gt 0 ] || [ ${#need_lean[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} ${need_lean[*]} (apt-get)" >&2
  apt-get update -qq
  if [ ${#need_apt[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
  if [ ${#need_lean[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_lean[@]}" >/dev/null
  fi
  # The package starts a system nginx on port 80: the tests start their own.
  if [ -n "$new_nginx" ]; then
    (service nginx stop || pkill -x nginx) >/dev/null 2>&1 || true
  fi
fi

# The SMTP tests run a real server: Python's aiosmtpd (tests/smtp/server.py);
# DuckDB writes the Parquet files of types the tests need.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd (pip)" >&2
  python3 -m pip install --quiet aiosmtpd 2>/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null
  }
fi
# DuckDB and Spark (local mode, on the machine's Java 17) run sql/rollup.sql.
if ! python3 -c 'import duckdb' 2>/dev/null; then
  echo "installing duckdb (pip)" >&2
  python3 -m pip install --quiet duckdb
fi
if ! python3 -c 'import pyspark' 2>/dev/null; then
  echo "installing pyspark (pip)" >&2
  python3 -m pip install --quiet pyspark
fi
if ! command -v java >/dev/null 2>&1; then
  echo "installing a Java runtime for Spark (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
fi

# The repository stands on its own: nothing it tracks may read outside it.
if git ls-files -z 2>/dev/null | xargs -0 grep -lE '\.\./shared' -- 2>/dev/null | grep -v '^scripts/test.sh$'; then
  echo "error: the files above refer to the shared folder beside the checkout, which a clone does not have" >&2
  exit 1
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# --no-fail-fast: one failing test target must not hide the others.
cargo test --locked --no-fail-fast
