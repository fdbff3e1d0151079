#!/usr/bin/env python3
"""Benchmark cacheroi against DuckDB on the same 10 M request rows.

Generates the data with `cacheroi sample --wide` (Parquet and CSV daily files
over 10 weeks; ten times the sample's customers and users; Parquet days with
time stamps in ms, µs or ns, zoned or naive, some days without optional
columns, extra columns), then times, as whole processes with /usr/bin/time
(wall time and peak RSS):

- the first `cacheroi weekly` (no rollups yet: every file rolled up, then the
  report), beside DuckDB computing the same weekly KPIs, segments and
  data-quality counts over the same files;
- a repeat `weekly` with the rollups in place, `impact` and `roi`;
- "next Monday": the rollups of weeks 1–9 in place, the 7 files of week 10
  arrive, `weekly` of that week;
- with --engine-rows N (e.g. 100000000): `cacheroi rollup` from scratch on N
  rows beside DuckDB running sql/rollup.sql (scripts/rollup_engine.py).

Needs a release build and the pip package `duckdb`.

    python3 scripts/bench.py [--rows 10000000] [--dir /tmp/cacheroi-bench] [--runs 1] [--engine-rows 0]
"""
import shutil
import argparse
import os
import re
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "cacheroi")
DAYS = 70  # 4 baseline weeks + 6 rollout weeks
WEEK = ("2026-11-09", "2026-11-16")  # 2026-W46, rollout week 6
BASELINE = ("2026-09-07", "2026-10-05")
RFC3339 = r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"

DUCKDB_SQL = """
SET threads TO {threads};
CREATE TEMP TABLE r AS
WITH src AS (SELECT * FROM {reader}),
p AS (
  SELECT *,
    {ts_expr} AS t,
    try_cast(status AS BIGINT) AS st,
    try_cast(latency_ms AS DOUBLE) AS lat,
    upper(CAST(cache_status AS VARCHAR)) AS cs,
    CASE lower(CAST(cache_enabled AS VARCHAR)) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
         WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END AS en,
    try_cast(upstream_calls AS BIGINT) AS up
  FROM src)
SELECT t, user_id, coalesce(nullif(CAST(segment AS VARCHAR), ''), 'general') AS seg, st, lat, cs, en,
  coalesce(up, CASE WHEN cs IN ('HIT', 'STALE') THEN 0 ELSE 1 END) AS o,
  CASE
    WHEN ts IS NULL OR CAST(ts AS VARCHAR) = '' THEN 'missing_value'
    WHEN t IS NULL THEN 'bad_timestamp'
    WHEN coalesce(CAST(customer_id AS VARCHAR), '') = '' OR coalesce(CAST(user_id AS VARCHAR), '') = ''
      OR coalesce(CAST(endpoint AS VARCHAR), '') = '' OR status IS NULL OR latency_ms IS NULL
      OR cache_enabled IS NULL THEN 'missing_value'
    WHEN st IS NULL OR lat IS NULL OR en IS NULL OR (upstream_calls IS NOT NULL AND up IS NULL) OR up < 0 THEN 'invalid_value'
    WHEN lat < 0 THEN 'negative_latency'
    WHEN coalesce(cs, '') <> '' AND cs NOT IN ('HIT', 'STALE', 'MISS', 'BYPASS', 'ERROR') THEN 'unknown_cache_status'
  END AS reason
FROM p;

SELECT reason, count(*) FROM r GROUP BY reason ORDER BY reason;

WITH v AS (SELECT * FROM r WHERE reason IS NULL),
per AS (
  SELECT {period} AS week, seg, count(*) AS requests, count(DISTINCT user_id) AS users,
    count(DISTINCT user_id) FILTER (WHERE en) AS e_users, count(*) FILTER (WHERE en) AS e_rows,
    count(*) FILTER (WHERE en AND cs IN ('HIT', 'STALE')) AS hits,
    count(*) FILTER (WHERE en AND cs IN ('HIT', 'STALE', 'MISS', 'ERROR')) AS lookups,
    count(*) FILTER (WHERE en AND cs = 'ERROR') AS cerr, count(*) FILTER (WHERE en AND cs IS NOT NULL AND cs <> '') AS cacheable,
    count(*) FILTER (WHERE en AND st >= 500) AS e5xx, sum(o) FILTER (WHERE en) AS e_origin, avg(lat) FILTER (WHERE en) AS e_mean,
    quantile_cont(lat, [0.5, 0.95, 0.99]) FILTER (WHERE en) AS q
  FROM v WHERE t >= TIMESTAMPTZ '{p0}' - INTERVAL 7 DAY AND t < TIMESTAMPTZ '{p1}'
  GROUP BY GROUPING SETS ((week), (week, seg))),
base AS (
  SELECT seg, count(*) AS b_rows, sum(o) / count(*) AS b_origin, avg(lat) AS b_mean, quantile_cont(lat, [0.5, 0.95]) AS bq
  FROM v WHERE t >= TIMESTAMPTZ '{b0}' AND t < TIMESTAMPTZ '{b1}' AND NOT en
  GROUP BY GROUPING SETS ((), (seg)))
SELECT per.week, per.seg, requests, users, e_users::DOUBLE / users AS adoption, hits::DOUBLE / lookups AS hit_rate,
  1 - (e_origin / e_rows) / coalesce(b.b_origin, ball.b_origin) AS api_call_reduction,
  e_rows * coalesce(b.b_origin, ball.b_origin) - e_origin AS avoided,
  1 - q[1] / coalesce(b.bq, ball.bq)[1] AS p50_gain, 1 - q[2] / coalesce(b.bq, ball.bq)[2] AS p95_gain, q[3] AS p99,
  e5xx::DOUBLE / e_rows AS error_rate, 1 - cerr::DOUBLE / cacheable AS availability,
  e_rows * (coalesce(b.b_mean, ball.b_mean) - e_mean) / 3600000 / e_users AS hours_saved
FROM per LEFT JOIN base b ON b.seg = per.seg LEFT JOIN (SELECT * FROM base WHERE seg IS NULL) ball ON true
ORDER BY per.week, per.seg NULLS FIRST;
"""


def sh(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd):
    """Run a command under /usr/bin/time -v; return (wall seconds, peak RSS MiB, stdout)."""
    res = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", res.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))
    return secs, rss_kb / 1024, res.stdout


def generate(base, fmt, rows):
    out = os.path.join(base, f"{fmt}-{rows}")
    marker = os.path.join(out, ".done")
    if not os.path.exists(marker):
        per_day = rows // DAYS
        sh([BIN, "-q", "sample", "--wide", "--out", out, "--format", fmt, "--requests-per-day", str(per_day)],
           stdout=subprocess.DEVNULL)
        open(marker, "w").close()
    # Rollups of each data set in their own folder.
    cfg = os.path.join(out, "cacheroi.toml")
    text = open(cfg).read().replace('output_dir = "../reports"', 'output_dir = "reports"')
    open(cfg, "w").write(text)
    return out


def rollups_dir(data):
    return os.path.join(data, "reports", "rollups")


def duckdb_cmd(data, fmt, threads):
    glob = os.path.join(data, "requests", f"requests-*.{fmt}")
    if fmt == "parquet":
        reader = f"read_parquet('{glob}', union_by_name = true)"
        ts_expr = "CAST(ts AS TIMESTAMPTZ)"
    else:
        reader = f"read_csv('{glob}', all_varchar = true, header = true, union_by_name = true)"
        ts_expr = f"CASE WHEN regexp_matches(ts, '{RFC3339}') THEN try_cast(ts AS TIMESTAMPTZ) END"
    sql = DUCKDB_SQL.format(
        threads=threads, reader=reader, ts_expr=ts_expr, p0=WEEK[0], p1=WEEK[1], b0=BASELINE[0], b1=BASELINE[1],
        period=f"CASE WHEN t >= TIMESTAMPTZ '{WEEK[0]}' THEN 'this' ELSE 'previous' END",
    )
    script = textwrap.dedent(
        """
        import duckdb, sys
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for stmt in [s for s in sys.argv[1].split(';') if s.strip()]:
            rows = con.execute(stmt).fetchall()
            if rows:
                for r in rows[:12]:
                    print(r)
        """
    )
    return [sys.executable, "-c", script, sql]


def cacheroi(data, *args):
    return timed([BIN, "-q", *args, "--config", os.path.join(data, "cacheroi.toml"), "--out", os.path.join(data, "out")])


def row(label, c, d=None):
    duck = f"{d[0]:.2f} s | {d[1]:,.0f} MiB | {d[0] / c[0]:.1f}×" if d else "— | — | —"
    return f"| {label} | {c[0]:.2f} s | {c[1]:,.0f} MiB | {duck} |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dir", default="/tmp/cacheroi-bench")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--engine-rows", type=int, default=0)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} missing: run `cargo build --release` first")
    lines = []
    for fmt in args.formats.split(","):
        data = generate(args.dir, fmt, args.rows)
        reqs = os.path.join(data, "requests")
        size = sum(os.path.getsize(os.path.join(reqs, f)) for f in os.listdir(reqs))
        for run in range(args.runs):
            shutil.rmtree(rollups_dir(data), ignore_errors=True)
            first = cacheroi(data, "weekly", "--week", "2026-W46")
            d = timed(duckdb_cmd(data, fmt, args.threads))
            if run == 0:
                print(d[2], file=sys.stderr)
            again = cacheroi(data, "weekly", "--week", "2026-W46")
            impact = cacheroi(data, "impact")
            roi = cacheroi(data, "roi")
            # Next Monday: weeks 1–9 rolled up, week 10's files arrive.
            last_week = sorted(os.listdir(reqs))[-7:]
            hold = os.path.join(data, "held")
            os.makedirs(hold, exist_ok=True)
            for f in last_week:
                shutil.move(os.path.join(reqs, f), os.path.join(hold, f))
            cacheroi(data, "weekly", "--week", "2026-W45")
            for f in last_week:
                shutil.move(os.path.join(hold, f), os.path.join(reqs, f))
            monday = cacheroi(data, "weekly", "--week", "2026-W46")
            rollup_bytes = sum(
                os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(rollups_dir(data)) for f in fs
            )
            lines.append(f"\n**{fmt}** ({size / 2**20:,.0f} MiB of request files; rollups {rollup_bytes / 2**20:,.1f} MiB = "
                         f"{100 * rollup_bytes / size:.1f} %), run {run + 1}\n")
            lines.append("| step | cacheroi wall | cacheroi peak RSS | DuckDB wall | DuckDB peak RSS | DuckDB ÷ cacheroi |")
            lines.append("|---|---:|---:|---:|---:|---:|")
            lines.append(row("first `weekly` (rolls up every file)", first, d))
            lines.append(row("`weekly` again (rollups in place)", again))
            lines.append(row("`impact` (rollups in place)", impact))
            lines.append(row("`roi` (rollups in place)", roi))
            lines.append(row("next Monday: 7 new files, `weekly`", monday))
            print("\n".join(lines[-9:]), file=sys.stderr)
    if args.engine_rows:
        data = generate(args.dir, "parquet", args.engine_rows)
        reqs = os.path.join(data, "requests")
        size = sum(os.path.getsize(os.path.join(reqs, f)) for f in os.listdir(reqs))
        shutil.rmtree(rollups_dir(data), ignore_errors=True)
        c = timed([BIN, "-q", "rollup", "--config", os.path.join(data, "cacheroi.toml")])
        out = os.path.join(data, "engine-rollups")
        shutil.rmtree(out, ignore_errors=True)
        d = timed([sys.executable, os.path.join(ROOT, "scripts", "rollup_engine.py"), "--engine", "duckdb",
                   "--config", os.path.join(data, "cacheroi.toml"), "--out", out, "--threads", str(args.threads)])
        lines.append(f"\n**{args.engine_rows:,} rows** (Parquet, {size / 2**20:,.0f} MiB), rollups from scratch\n")
        lines.append("| step | cacheroi wall | cacheroi peak RSS | DuckDB wall | DuckDB peak RSS | DuckDB ÷ cacheroi |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        lines.append(row("`cacheroi rollup` vs DuckDB running sql/rollup.sql", c, d))
    print(f"\n{args.rows:,} request rows over {DAYS} days, weekly report of 2026-W46, {os.cpu_count()} cores")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
