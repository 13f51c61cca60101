-- wrk script for the benchmark: an optional POST body, and a one-line JSON summary at the end
-- that bench/run.py reads (wrk's own text report stays human-only).
--
--   WRK_POST_BYTES=1024 wrk -s bench/wrk.lua ...   POST that many bytes (the echo app)

local post_bytes = tonumber(os.getenv("WRK_POST_BYTES") or "0")
if post_bytes > 0 then
  wrk.method = "POST"
  wrk.body = string.rep("x", post_bytes)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
