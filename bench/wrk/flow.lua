-- The print flow, as a client prints a document: POST BENCH_PATH (a jobs collection) to create
-- a job, createUploadSession for its document, PUT the document (BENCH_DOC_BYTES, one
-- fragment, to the uploadUrl without the bearer token), start. A flow counts when start answers 2xx.
--
-- wrk asks for the next request of a connection after that connection's answer was handled,
-- but not necessarily right after it, so the steps are not tied to connections: each answer
-- queues the flow's next request, and request() takes queued requests first, starting a new flow
-- when none waits. Each request carries a client-request-id "FLOW.STEP", which the server echoes,
-- so that an answer finds its flow. Every connection thus always has exactly one request of some
-- flow in flight, and each flow has at most one request in flight.
dofile("common.lua")

local size = tonumber(os.getenv("BENCH_DOC_BYTES") or "102400")
local doc = "%PDF-1.4\n" .. string.rep("0", size - 10) .. "\n"
local json = {["Content-Type"] = "application/json"}
local queue, head, tail = {}, 1, 0
local live = {} -- flow key -> {t0 = start time, job = id, doc = id}
local seq = 0

local function headers(key, step, extra)
  local h = bench.headers(extra)
  h["client-request-id"] = key .. "." .. step
  return h
end

local function push(r)
  tail = tail + 1
  queue[tail] = r
end

function request()
  if head <= tail then
    local r = queue[head]
    queue[head] = nil
    head = head + 1
    return r
  end
  seq = seq + 1
  local key = tostring(seq)
  live[key] = {t0 = bench.now()}
  return wrk.format("POST", bench.path, headers(key, 1, json), bench.create_body)
end

function response(status, hdrs, body)
  local ok = bench.check(status, body)
  local crid = hdrs["client-request-id"] or hdrs["Client-Request-Id"] or hdrs["client-request-Id"]
  if not crid then return end
  local key, step = string.match(crid, "^(%d+)%.(%d)$")
  local f = key and live[key]
  if not f then return end
  if not ok then
    live[key] = nil
    return
  end
  if step == "1" then
    f.job = string.match(body, '"id":"([^"]+)"')
    f.doc = string.match(body, '"documents":%[{"id":"([^"]+)"')
    if not (f.job and f.doc) then live[key] = nil return end
    push(wrk.format("POST", bench.path .. "/" .. f.job .. "/documents/" .. f.doc .. "/createUploadSession",
      headers(key, 2, json),
      '{"properties":{"documentName":"bench.pdf","contentType":"application/pdf","size":' .. size .. '}}'))
  elseif step == "2" then
    local url = string.match(body, '"uploadUrl":"([^"]+)"')
    local path = url and string.match(url, "^https?://[^/]+(/.*)$")
    if not path then live[key] = nil return end
    local h = {["client-request-id"] = key .. ".3", ["Content-Type"] = "application/octet-stream",
               ["Content-Range"] = "bytes 0-" .. (size - 1) .. "/" .. size}
    push(wrk.format("PUT", path, h, doc))
  elseif step == "3" then
    push(wrk.format("POST", bench.path .. "/" .. f.job .. "/start", headers(key, 4)))
  else
    flows = flows + 1
    flow_lat[#flow_lat + 1] = bench.now() - f.t0
    live[key] = nil
  end
end
