-- Create a job: POST BENCH_PATH (a jobs collection) with a full configuration, each time the same.
dofile("common.lua")

wrk.method = "POST"
wrk.path = bench.path
wrk.body = bench.create_body
for k, v in pairs(bench.headers({["Content-Type"] = "application/json"})) do wrk.headers[k] = v end
