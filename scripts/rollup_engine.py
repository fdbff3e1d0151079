#!/usr/bin/env python3
"""Make cacheroi's rollup dataset with a SQL engine: sql/rollup.sql, run
unchanged by DuckDB or Spark SQL over the request files a cacheroi config
names, written as Hive-partitioned Parquet (`<out>/<table>/day=YYYY-MM-DD/`).

    python3 scripts/rollup_engine.py --engine duckdb --config cacheroi.toml --out rollups
    python3 scripts/rollup_engine.py --engine spark  --config cacheroi.toml --out rollups

Then point cacheroi at it: `[sources] rollups = "rollups"`.

This script is the glue the SQL cannot hold portably: it reads the files
(Parquet; CSV and NDJSON where the engine reads them) into one relation of
text columns with epoch-microsecond time stamps, gives the 15-minute UTC
slots their local date in the config's time zone (Python's zoneinfo), hands
over the customers table, runs each statement of the SQL file, and replaces
the day partitions it wrote (never appends). Rows an engine cannot parse at
all are not seen here; cacheroi's own rollup step counts those.
"""

import argparse
import csv
import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SCHEMA = 2
ALPHA = 0.005
COLUMNS = ["ts", "customer_id", "user_id", "segment", "endpoint", "status", "latency_ms",
           "cache_status", "cache_enabled", "upstream_calls"]
QUARTER_US = 900_000_000
# RFC 3339 with an offset, as cacheroi accepts it.
RFC3339 = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"


def read_config(path, need_requests=True):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    base = os.path.dirname(os.path.abspath(path))
    src = cfg.get("sources", {})
    rel = lambda p: p if os.path.isabs(p) else os.path.join(base, p)
    if need_requests and "requests" not in src:
        sys.exit(f"error: {path}: missing sources.requests")
    return {
        "timezone": cfg.get("timezone", "UTC"),
        "requests": rel(src["requests"]) if "requests" in src else None,
        "customers": rel(src["customers"]) if src.get("customers") else None,
    }


def files_of(pattern):
    files = sorted(set(os.path.realpath(p) for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)))
    if not files:
        sys.exit(f"error: requests: no file matches {pattern}")
    kinds = {"parquet": [], "csv": [], "ndjson": []}
    for f in files:
        name = f.lower()
        stem = re.sub(r"\.(gz|zst)$", "", name)
        if stem.endswith(".parquet") or stem.endswith(".pq"):
            kinds["parquet"].append(f)
        elif stem.endswith(".csv"):
            kinds["csv"].append(f)
        elif stem.endswith(".ndjson") or stem.endswith(".jsonl"):
            kinds["ndjson"].append(f)
    return kinds


def customers_of(path):
    """(customer_id, segment) first row per id, and the file's hash as cacheroi computes it."""
    if not path:
        return [], "none"
    with open(path, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()[:12]
    rows, seen = [], set()
    reader = csv.DictReader(raw.decode("utf-8-sig").splitlines())
    lower = {k.lower(): k for k in reader.fieldnames or []}
    for r in reader:
        cid = (r.get(lower.get("customer_id", ""), "") or "").strip()
        if not cid or cid in seen:
            continue
        seen.add(cid)
        seg = r.get(lower.get("segment", ""), "") or ""
        rows.append((cid, seg if seg != "" else None))
    return rows, digest


def tz_runs(tz_name, lo_us, hi_us):
    """(start_us, end_us, offset_us): runs of 15-minute slots with one UTC offset."""
    tz = ZoneInfo(tz_name)
    # Whole hours: every offset change of 1970 onwards falls on a quarter of an hour.
    start = (lo_us // QUARTER_US) * QUARTER_US - 2 * 86_400_000_000
    end = hi_us + 2 * 86_400_000_000
    runs = []
    t = start
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    step_us = 3_600_000_000
    while t <= end:
        off = int((epoch + timedelta(microseconds=t)).astimezone(tz).utcoffset().total_seconds() * 1_000_000)
        if runs and runs[-1][2] == off:
            runs[-1][1] = t + step_us
        else:
            runs.append([t, t + step_us, off])
        t += step_us
    return runs


def split_sql(path):
    """[(kind, name, sql)] of the `-- @view` / `-- @table` statements."""
    text = open(path, encoding="utf-8").read()
    out = []
    for m in re.finditer(r"^-- @(view|table) (\w+)\n(.*?)(?=^-- @|\Z)", text, re.S | re.M):
        body = "\n".join(l for l in m.group(3).splitlines() if not l.lstrip().startswith("--")).strip()
        out.append((m.group(1), m.group(2), body))
    return out


def replace_partitions(staging, target):
    """Move each day partition of `staging` over the same one of `target`."""
    os.makedirs(target, exist_ok=True)
    for part in os.listdir(staging):
        src = os.path.join(staging, part)
        if not os.path.isdir(src):
            continue
        dst = os.path.join(target, part)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.move(src, dst)
    shutil.rmtree(staging, ignore_errors=True)


# --- DuckDB -----------------------------------------------------------------

def duckdb_relation(con, kinds):
    parts = []
    for fmt, files in kinds.items():
        if not files:
            continue
        lst = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        if fmt == "parquet":
            src = f"read_parquet({lst}, filename=true, file_row_number=true, union_by_name=true)"
            row = "file_row_number + 1"
        elif fmt == "csv":
            src = f"read_csv({lst}, all_varchar=true, header=true, filename=true, union_by_name=true)"
            row = "NULL"
        else:
            src = f"read_json({lst}, format='newline_delimited', filename=true, union_by_name=true)"
            row = "NULL"
        cols = {r[0].lower(): (r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        def text(name):
            if name not in cols:
                return "CAST(NULL AS VARCHAR)"
            return f'CAST("{cols[name][0]}" AS VARCHAR)'
        if "ts" not in cols:
            ts_us, present, ts_text = "CAST(NULL AS BIGINT)", "false", "CAST(NULL AS VARCHAR)"
        elif cols["ts"][1].upper().startswith("TIMESTAMP"):
            col = f'"{cols["ts"][0]}"'
            # epoch_us takes TIMESTAMP and TIMESTAMPTZ, not their _NS/_MS/_S
            # kinds: cast first (nanoseconds truncate to the microsecond, as
            # cacheroi reads them; a naive time stamp is UTC).
            kind = cols["ts"][1].upper()
            zoned = "TIME ZONE" in kind or kind.startswith("TIMESTAMPTZ")
            cast = f"CAST({col} AS {'TIMESTAMPTZ' if zoned else 'TIMESTAMP'})"
            ts_us, present, ts_text = f"epoch_us({cast})", f"{col} IS NOT NULL", f"CAST({col} AS VARCHAR)"
        else:
            col = f'CAST("{cols["ts"][0]}" AS VARCHAR)'
            ts_us = (f"CASE WHEN regexp_full_match({col}, '{RFC3339}') "
                     f"THEN epoch_us(TRY_CAST({col} AS TIMESTAMPTZ)) END")
            present, ts_text = f"COALESCE({col}, '') <> ''", col
        parts.append(
            f"SELECT filename AS source_file, '{fmt}' AS format, CAST({row} AS BIGINT) AS row_number, "
            f"{ts_us} AS ts_us, {present} AS ts_present, {ts_text} AS ts_text, "
            + ", ".join(f"{text(c)} AS {c}" for c in COLUMNS[1:])
            + f" FROM {src}"
        )
    con.execute("CREATE OR REPLACE TEMP VIEW requests_raw AS " + " UNION ALL ".join(parts))


def run_duckdb(cfg, kinds, customers, sql, out, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET TimeZone = 'UTC'")
    duckdb_relation(con, kinds)
    lo, hi = con.execute("SELECT min(ts_us), max(ts_us) FROM requests_raw").fetchone()
    if lo is None:
        lo = hi = 0
    runs = tz_runs(cfg["timezone"], lo, hi)
    con.execute("CREATE OR REPLACE TEMP TABLE tz_runs (start_us BIGINT, end_us BIGINT, offset_us BIGINT)")
    con.executemany("INSERT INTO tz_runs VALUES (?, ?, ?)", runs)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tz_quarters AS SELECT range AS quarter_us, "
        "CAST(DATE '1970-01-01' + CAST(floor((range + offset_us) / 86400000000.0) AS INTEGER) AS DATE) AS day "
        f"FROM range({runs[0][0]}, {runs[-1][1]}, {QUARTER_US}) JOIN tz_runs ON range >= start_us AND range < end_us"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE customers_dim (customer_id VARCHAR, segment VARCHAR)")
    if customers:
        con.executemany("INSERT INTO customers_dim VALUES (?, ?)", customers)
    for kind, name, body in sql:
        if kind == "view":
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {body}")
            continue
        staging = os.path.join(out, f".staging-{name}")
        shutil.rmtree(staging, ignore_errors=True)
        con.execute(f"COPY ({body}) TO '{staging}' (FORMAT PARQUET, PARTITION_BY (day), COMPRESSION ZSTD)")
        replace_partitions(staging, os.path.join(out, name))
    return f"duckdb {duckdb.__version__}"


def marker_of(base, producer):
    return dict(base, producer=f"sql/rollup.sql ({producer})")


# --- Spark ------------------------------------------------------------------

def spark_frame(df, F, T, source, fmt):
    """One source's rows as the text relation the SQL expects."""
    cols = {c.lower(): c for c in df.columns}

    def text(name):
        return F.col(f"`{cols[name]}`").cast("string") if name in cols else F.lit(None).cast("string")

    if "ts" not in cols:
        ts_us, present, ts_text = F.lit(None).cast("bigint"), F.lit(False), F.lit(None).cast("string")
    else:
        c = F.col(f"`{cols['ts']}`")
        dtype = df.schema[cols["ts"]].dataType
        if isinstance(dtype, (T.TimestampType, T.TimestampNTZType)):
            ts_us = F.expr(f"unix_micros(CAST(`{cols['ts']}` AS TIMESTAMP))")
        elif isinstance(dtype, T.LongType):
            # nanosAsLong: Parquet TIMESTAMP(NANOS) as nanoseconds.
            ts_us = F.floor(c / 1000).cast("bigint")
        else:
            s = c.cast("string")
            ts_us = F.when(s.rlike(RFC3339), F.expr(f"unix_micros(to_timestamp(CAST(`{cols['ts']}` AS STRING)))"))
        present = F.coalesce(c.cast("string"), F.lit("")) != ""
        ts_text = c.cast("string")
    return df.select(
        (F.input_file_name() if source is None else F.lit(source)).alias("source_file"),
        F.lit(fmt).alias("format"),
        F.lit(None).cast("bigint").alias("row_number"),
        ts_us.cast("bigint").alias("ts_us"),
        present.alias("ts_present"),
        ts_text.alias("ts_text"),
        *[text(c).alias(c) for c in COLUMNS[1:]],
    )


def run_spark(cfg, kinds, customers, sql, out, threads, master=None, table=None, cfg_marker=None):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession, functions as F, types as T
    builder = SparkSession.builder
    if master:
        builder = builder.master(master)
    spark = (
        builder
        .appName("cacheroi-rollup")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(threads))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.legacy.parquet.nanosAsLong", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frames = []
    if table:
        # A (partitioned) request table of the catalog.
        frames.append(spark_frame(spark.table(table), F, T, None, "table"))
    for fmt, files in kinds.items():
        # File by file: files of older schemas or other time stamp units mix.
        for f in files:
            if fmt == "parquet":
                df = spark.read.parquet(f)
            elif fmt == "csv":
                df = spark.read.option("header", "true").option("inferSchema", "false").csv(f)
            else:
                df = spark.read.option("primitivesAsString", "true").json(f)
            frames.append(spark_frame(df, F, T, f, fmt))
    raw = frames[0]
    for f in frames[1:]:
        raw = raw.unionByName(f)
    raw.createOrReplaceTempView("requests_raw")
    lo, hi = raw.agg(F.min("ts_us"), F.max("ts_us")).first()
    if lo is None:
        lo = hi = 0
    runs = tz_runs(cfg["timezone"], lo, hi)
    spark.createDataFrame(runs, "start_us bigint, end_us bigint, offset_us bigint").createOrReplaceTempView("tz_runs")
    spark.range(runs[0][0], runs[-1][1], QUARTER_US).createOrReplaceTempView("tz_range")
    spark.sql(
        "SELECT id AS quarter_us, date_add(DATE'1970-01-01', CAST(floor((id + offset_us) / 86400000000.0) AS INT)) AS day "
        "FROM tz_range JOIN tz_runs ON id >= start_us AND id < end_us"
    ).cache().createOrReplaceTempView("tz_quarters")
    spark.createDataFrame(customers or [("", None)], "customer_id string, segment string") \
        .where("customer_id <> ''").createOrReplaceTempView("customers_dim")
    for kind, name, body in sql:
        if kind == "view":
            spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS {body}")
            continue
        # Dynamic partition overwrite: the days written replace those days, nothing else.
        spark.sql(body).write.mode("overwrite").partitionBy("day").option("compression", "zstd") \
            .parquet(os.path.join(out, name))
    version = spark.version
    # The marker through Hadoop's file system: local, hdfs:// or s3a:// alike.
    marker = json.dumps(marker_of(cfg_marker, f"spark {version}"), indent=2) + "\n"
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(out.rstrip("/") + "/_cacheroi_rollups.json")
    stream = path.getFileSystem(spark._jsc.hadoopConfiguration()).create(path, True)
    stream.write(bytearray(marker.encode()))
    stream.close()
    spark.stop()
    return f"spark {version}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["duckdb", "spark"], required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sql", default=os.path.join(os.path.dirname(__file__), "..", "sql", "rollup.sql"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--master", help="Spark master (default: local[THREADS]; under spark-submit, its --master)")
    ap.add_argument("--table", help="Spark: read the requests from this catalog table instead of the config's files")
    args = ap.parse_args()
    cfg = read_config(args.config, need_requests=not args.table)
    kinds = files_of(cfg["requests"]) if not args.table else {"parquet": [], "csv": [], "ndjson": []}
    customers, digest = customers_of(cfg["customers"])
    sql = split_sql(args.sql)
    base = {"schema": SCHEMA, "timezone": cfg["timezone"], "alpha": ALPHA, "customers": digest}
    if args.engine == "duckdb":
        if args.table:
            sys.exit("error: --table is for Spark's catalog; DuckDB reads the config's files")
        os.makedirs(args.out, exist_ok=True)
        producer = run_duckdb(cfg, kinds, customers, sql, args.out, args.threads)
        with open(os.path.join(args.out, "_cacheroi_rollups.json"), "w") as f:
            json.dump(marker_of(base, producer), f, indent=2)
            f.write("\n")
    else:
        in_submit = "SPARK_SUBMIT" in os.environ or "PYSPARK_GATEWAY_PORT" in os.environ
        master = args.master or (None if in_submit else f"local[{args.threads}]")
        producer = run_spark(cfg, kinds, customers, sql, args.out, args.threads, master, args.table, base)
    n = sum(len(v) for v in kinds.values())
    what = f"table {args.table}" if args.table else f"{n} file(s)"
    print(f"{args.out}: rollups of {what} by {producer}")


if __name__ == "__main__":
    main()
