-- Shared by the scenario scripts of bench/run.py (loaded with dofile; wrk runs with bench/wrk as
-- its working folder). What a scenario needs comes from the environment:
--   BENCH_TOKEN  bearer token sent with every request (not with upload PUTs)
--   BENCH_PATH   the path of the scenario (a prefix for get.lua, the jobs collection for flow.lua)
--   BENCH_IDS    get.lua: a file of job ids, one a line
--   BENCH_DOC_BYTES  flow.lua: the document's size (default 102400)
-- Every response goes through response(): non-2xx answers are counted there (wrk itself counts
-- only status > 399), and done() prints one parseable RESULT line.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")

bench = {}

-- Monotonic clock in microseconds.
function bench.now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

bench.path = os.getenv("BENCH_PATH") or "/"
local token = os.getenv("BENCH_TOKEN")

-- Request headers: the bearer token, plus the given ones.
function bench.headers(extra)
  local h = {}
  if token and token ~= "" then h["Authorization"] = "Bearer " .. token end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

-- The body of "create a job": Graph's printJob with a configuration that sets every member.
bench.create_body = '{"configuration":{"copies":2,"colorMode":"color","duplexMode":"flipOnLongEdge",'
  .. '"orientation":"landscape","quality":"high","dpi":600,"mediaSize":"A4","mediaType":"stationery",'
  .. '"inputBin":"tray-1","outputBin":"auto","collate":true,"fitPdfToPage":false,"scaling":"fit",'
  .. '"multipageLayout":"clockwiseFromTopLeft","pagesPerSheet":2,"feedOrientation":"longEdgeFirst",'
  .. '"finishings":["staple","punch"],"margin":{"top":0,"bottom":100,"left":5,"right":5},'
  .. '"pageRanges":[{"start":1,"end":3},{"start":5,"end":5}]}}'

-- Per-thread counters (read by done() through thread:get).
non2xx = 0
first_bad = ""
flows = 0
flow_lat = {}

-- Counts a non-2xx answer; returns true when the answer was 2xx.
function bench.check(status, body)
  if status >= 200 and status < 300 then return true end
  non2xx = non2xx + 1
  if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200) end
  return false
end

function response(status, headers, body)
  bench.check(status, body)
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local bad, nflows, lat, sample = 0, 0, {}, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    nflows = nflows + (t:get("flows") or 0)
    for _, v in ipairs(t:get("flow_lat") or {}) do lat[#lat + 1] = v end
    local fb = t:get("first_bad")
    if sample == "" and fb and fb ~= "" then sample = fb end
  end
  local e = summary.errors
  local line = string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f mean_us=%.1f"
      .. " non2xx=%d connect=%d read=%d write=%d timeout=%d status_gt399=%d flows=%d",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, bad, e.connect, e.read, e.write, e.timeout, e.status, nflows)
  if #lat > 0 then
    table.sort(lat)
    local function pct(p) return lat[math.max(1, math.ceil(#lat * p / 100))] end
    line = line .. string.format(" flow_p50_us=%.0f flow_p99_us=%.0f flow_max_us=%.0f", pct(50), pct(99), lat[#lat])
  end
  io.write(line .. "\n")
  if sample ~= "" then io.write("FIRST_BAD " .. sample:gsub("[\r\n]", " ") .. "\n") end
end
