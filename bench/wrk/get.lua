-- GET one job: a random id of the filled set (BENCH_IDS) appended to BENCH_PATH.
dofile("common.lua")

local reqs = {}

function init(args)
  for id in io.lines(os.getenv("BENCH_IDS")) do
    if id ~= "" then reqs[#reqs + 1] = wrk.format("GET", bench.path .. id, bench.headers()) end
  end
  math.randomseed(os.time())
end

function request()
  return reqs[math.random(#reqs)]
end
