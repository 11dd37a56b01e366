-- The note editor's autosave: each wrk thread (one connection each: run with -t N -c N) saves
-- its own draft, sending the version the previous save returned, as the editor does.
--
-- Environment: BENCH_DRAFTS lists one "note_id:version" per thread, comma-separated;
-- BENCH_BODY holds the form fields that do not change (csrf_token, format, contact_type).
local report = require("report")

local drafts = {}
for id, version in (os.getenv("BENCH_DRAFTS") or ""):gmatch("(%d+):(%d+)") do
  table.insert(drafts, { id = id, version = version })
end
local fixed = os.getenv("BENCH_BODY") or ""
local headers = report.headers()
headers["Content-Type"] = "application/x-www-form-urlencoded"
local text = ("The client described the week and the plan for the next one. "):rep(8):gsub(" ", "+")

local assigned = 0

function setup(thread)
  assigned = assigned + 1
  local draft = drafts[assigned]
  if draft == nil then
    error("BENCH_DRAFTS has fewer drafts than wrk has threads")
  end
  thread:set("note_id", draft.id)
  thread:set("version", draft.version)
  report.setup(thread)
end

local saves = 0

function request()
  saves = saves + 1
  local body = fixed .. "&note_id=" .. note_id .. "&version=" .. version
    .. "&data=" .. text .. "save+" .. saves
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  report.count(status)
  local next_version = body:match('name="version" id="version" value="(%d+)"')
  if next_version then
    version = next_version
  end
end

function done(summary, latency, requests)
  report.done(summary, latency)
end
