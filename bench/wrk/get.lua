-- A signed-in GET (or an anonymous one when BENCH_HEADERS has no cookie).
local report = require("report")

wrk.method = "GET"
wrk.headers = report.headers()

function setup(thread)
  report.setup(thread)
end

function response(status, headers, body)
  report.count(status)
end

function done(summary, latency, requests)
  report.done(summary, latency)
end
