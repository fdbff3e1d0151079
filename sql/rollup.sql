-- cacheroi rollup dataset, schema version 2 (docs/rollups.md), in SQL that
-- DuckDB and Spark SQL both run unchanged.
--
-- Parameters are relations the runner (scripts/rollup_engine.py) provides:
--   requests_raw(source_file, format, row_number, ts_us, ts_present, ts_text,
--                customer_id, user_id, segment, endpoint, status, latency_ms,
--                cache_status, cache_enabled, upstream_calls)
--       one row per request-log row; every column text except source_file,
--       format (text), row_number (BIGINT, NULL where the engine cannot
--       tell), ts_us (BIGINT epoch microseconds, NULL where ts is not RFC
--       3339 with an offset) and ts_present (BOOLEAN: ts is not empty);
--   tz_quarters(quarter_us, day)   every 15-minute UTC slot of the data and
--       its local date in the report's time zone (the runner computes it);
--   customers_dim(customer_id, segment)   the customers table (first row
--       per id; segment NULL when empty).
-- Each `-- @view NAME` statement is made a temporary view; each
-- `-- @table NAME` query is written as Parquet partitioned by `day`,
-- replacing those partitions (never appending).
--
-- Dialect notes: ln() (not log(), base 10 in DuckDB); ln(0) guarded by a
-- CASE; CAST(CEIL(...) AS BIGINT); TRY_CAST; no integer division; local
-- days by an equi-join on the 15-minute slot, so no time-zone function of
-- either engine is needed.

-- @view rollup_parsed
SELECT
  source_file,
  format,
  row_number,
  ts_us,
  ts_present,
  ts_text,
  NULLIF(customer_id, '') AS customer_id,
  NULLIF(user_id, '') AS user_id,
  NULLIF(segment, '') AS segment,
  NULLIF(endpoint, '') AS endpoint,
  NULLIF(status, '') AS status_text,
  TRY_CAST(status AS BIGINT) AS status_v,
  NULLIF(latency_ms, '') AS latency_text,
  TRY_CAST(latency_ms AS DOUBLE) AS latency_v,
  UPPER(COALESCE(cache_status, '')) AS cs,
  cache_status AS cache_status_text,
  NULLIF(LOWER(cache_enabled), '') AS ce,
  cache_enabled AS cache_enabled_text,
  NULLIF(upstream_calls, '') AS up_text,
  TRY_CAST(upstream_calls AS BIGINT) AS up_v
FROM requests_raw

-- @view rollup_checked
SELECT
  p.*,
  -- The reject reasons, first that applies (docs/bad-input.md).
  CASE
    WHEN NOT ts_present THEN 'missing_value'
    WHEN ts_us IS NULL THEN 'bad_timestamp'
    WHEN customer_id IS NULL OR user_id IS NULL OR endpoint IS NULL OR status_text IS NULL
      OR latency_text IS NULL OR ce IS NULL THEN 'missing_value'
    WHEN status_v IS NULL OR latency_v IS NULL OR isnan(latency_v)
      OR latency_v > 1.7976931348623157e308 OR latency_v < -1.7976931348623157e308
      OR ce NOT IN ('true', 'false', '1', '0', 'yes', 'no')
      OR (up_text IS NOT NULL AND up_v IS NULL) THEN 'invalid_value'
    WHEN up_v < 0 THEN 'invalid_value'
    WHEN latency_v < 0 THEN 'negative_latency'
    WHEN cs NOT IN ('', 'HIT', 'STALE', 'MISS', 'BYPASS', 'ERROR') THEN 'unknown_cache_status'
  END AS reason,
  -- The column each reason blames, and its value, for the examples.
  CASE
    WHEN NOT ts_present OR ts_us IS NULL THEN 'ts'
    WHEN customer_id IS NULL THEN 'customer_id'
    WHEN user_id IS NULL THEN 'user_id'
    WHEN endpoint IS NULL THEN 'endpoint'
    WHEN status_text IS NULL THEN 'status'
    WHEN latency_text IS NULL THEN 'latency_ms'
    WHEN ce IS NULL THEN 'cache_enabled'
    WHEN status_v IS NULL THEN 'status'
    WHEN latency_v IS NULL OR isnan(latency_v) OR latency_v > 1.7976931348623157e308
      OR latency_v < -1.7976931348623157e308 THEN 'latency_ms'
    WHEN ce NOT IN ('true', 'false', '1', '0', 'yes', 'no') THEN 'cache_enabled'
    WHEN (up_text IS NOT NULL AND up_v IS NULL) OR up_v < 0 THEN 'upstream_calls'
    WHEN latency_v < 0 THEN 'latency_ms'
    WHEN cs NOT IN ('', 'HIT', 'STALE', 'MISS', 'BYPASS', 'ERROR') THEN 'cache_status'
  END AS blamed,
  q.day AS row_day
FROM rollup_parsed p
LEFT JOIN tz_quarters q
  ON q.quarter_us = p.ts_us - (((p.ts_us % 900000000) + 900000000) % 900000000)

-- @view rollup_valid
SELECT
  c.row_day AS day,
  c.customer_id,
  c.user_id,
  c.endpoint,
  COALESCE(c.segment, d.segment, 'general') AS segment,
  c.ce IN ('true', '1', 'yes') AS cache_enabled,
  c.cs,
  c.status_v AS status,
  c.latency_v AS latency_ms,
  COALESCE(c.up_v, CASE WHEN c.cs IN ('HIT', 'STALE') THEN 0 ELSE 1 END) AS upstream,
  c.ts_us,
  CASE
    WHEN c.latency_v > 0 THEN CAST(CEIL(ln(c.latency_v) / 0.010000083334583179) AS BIGINT)
    ELSE -2147483648
  END AS bucket
FROM rollup_checked c
LEFT JOIN customers_dim d ON c.customer_id = d.customer_id
WHERE c.reason IS NULL

-- @table requests
SELECT
  day,
  customer_id,
  segment,
  cache_enabled,
  COUNT(*) AS rows,
  SUM(CASE WHEN cs = 'HIT' THEN 1 ELSE 0 END) AS hit,
  SUM(CASE WHEN cs = 'STALE' THEN 1 ELSE 0 END) AS stale,
  SUM(CASE WHEN cs = 'MISS' THEN 1 ELSE 0 END) AS miss,
  SUM(CASE WHEN cs = 'BYPASS' THEN 1 ELSE 0 END) AS bypass,
  SUM(CASE WHEN cs = 'ERROR' THEN 1 ELSE 0 END) AS error,
  SUM(CASE WHEN cs = '' THEN 1 ELSE 0 END) AS uncached,
  SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors,
  SUM(upstream) AS upstream_calls,
  SUM(latency_ms) AS latency_sum,
  MIN(latency_ms) AS latency_min,
  MAX(latency_ms) AS latency_max,
  MAX(ts_us) AS ts_max
FROM rollup_valid
GROUP BY day, customer_id, segment, cache_enabled

-- @table latency
SELECT
  day,
  segment,
  cache_enabled,
  CAST(bucket AS INT) AS bucket,
  COUNT(*) AS count
FROM rollup_valid
GROUP BY day, segment, cache_enabled, bucket

-- @table users
SELECT
  day,
  user_id,
  segment,
  cache_enabled,
  COUNT(*) AS rows,
  SUM(upstream) AS upstream_calls,
  SUM(latency_ms) AS latency_sum,
  SUM(latency_ms * latency_ms) AS latency_sq_sum,
  SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors
FROM rollup_valid
GROUP BY day, user_id, segment, cache_enabled

-- @table endpoints
-- (cacheroi sums the endpoints after a file's 200 busiest as
-- '(other endpoints)'; this keeps every endpoint: the same whenever a file
-- has at most 200.)
SELECT
  day,
  endpoint,
  cache_enabled,
  CAST(bucket AS INT) AS bucket,
  COUNT(*) AS rows,
  SUM(CASE WHEN cs = 'HIT' THEN 1 ELSE 0 END) AS hit,
  SUM(CASE WHEN cs = 'STALE' THEN 1 ELSE 0 END) AS stale,
  SUM(CASE WHEN cs = 'MISS' THEN 1 ELSE 0 END) AS miss,
  SUM(CASE WHEN cs = 'ERROR' THEN 1 ELSE 0 END) AS error,
  SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors,
  SUM(upstream) AS upstream_calls
FROM rollup_valid
GROUP BY day, endpoint, cache_enabled, bucket

-- @view rollup_located
SELECT
  c.*,
  -- A rejected row without a day of its own goes with the first day of its file.
  COALESCE(c.row_day, MIN(c.row_day) OVER (PARTITION BY c.source_file)) AS file_day
FROM rollup_checked c

-- @table quality
SELECT
  file_day AS day,
  source_file AS source,
  format,
  reason,
  COUNT(*) AS rows
FROM rollup_located
GROUP BY file_day, source_file, format, reason

-- @table examples
SELECT
  day,
  source,
  reason,
  column_name,
  value,
  CAST(NULL AS BIGINT) AS line,
  row_number
FROM (
  SELECT
    file_day AS day,
    source_file AS source,
    reason,
    blamed AS column_name,
    CASE blamed
      WHEN 'ts' THEN ts_text
      WHEN 'customer_id' THEN customer_id
      WHEN 'user_id' THEN user_id
      WHEN 'endpoint' THEN endpoint
      WHEN 'status' THEN status_text
      WHEN 'latency_ms' THEN latency_text
      WHEN 'cache_enabled' THEN cache_enabled_text
      WHEN 'upstream_calls' THEN up_text
      WHEN 'cache_status' THEN cache_status_text
    END AS value,
    row_number,
    ROW_NUMBER() OVER (PARTITION BY source_file, reason ORDER BY row_number) AS k
  FROM rollup_located
  WHERE reason IS NOT NULL
) e
WHERE k <= 3
