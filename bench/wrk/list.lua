-- List jobs: the same GET of BENCH_PATH (e.g. .../jobs?$top=10) each time.
dofile("common.lua")

wrk.method = "GET"
wrk.path = bench.path
for k, v in pairs(bench.headers()) do wrk.headers[k] = v end
