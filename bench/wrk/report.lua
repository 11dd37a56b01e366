-- Shared by the benchmark's wrk scripts: the request headers from the environment, a count
-- of every response that is not 2xx, and one JSON line of results for the harness.
--
-- Environment: BENCH_HEADERS holds "Name: value" lines (the session cookie, HX-Request...).

local M = {}

local threads = {}

function M.headers()
  local headers = {}
  for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
      headers[name] = value
    end
  end
  return headers
end

-- In each thread's own environment: how many responses were not 2xx, and the first such status.
non2xx = 0
first_bad = 0

function M.count(status)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then
      first_bad = status
    end
  end
end

function M.setup(thread)
  table.insert(threads, thread)
end

function M.done(summary, latency, extra)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if first == 0 then
      first = thread:get("first_bad")
    end
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "bytes": %d, '
      .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"non2xx": %d, "first_bad_status": %d, "socket_errors": %d, "timeouts": %d%s}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, bad, first,
    errors.connect + errors.read + errors.write, errors.timeout, extra or ""))
end

return M
