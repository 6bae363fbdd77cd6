-- wrk script for tend's answer pages. MODE=post answers `/n/{token}` with
-- "done" (each thread takes every THREADS-th token of the TOKENS file, so
-- no two requests share a token until the file runs out); MODE=get fetches
-- the pages (from the end of the file); MODE=hello fetches "/".
-- done() prints one "BENCH {json}" line that tend-bench parses.
local mode = os.getenv("MODE") or "get"
local threads = tonumber(os.getenv("THREADS") or "2")
local next_id = 0
local paths = {}
local counter = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
end

function init(args)
    if mode == "hello" then return end
    local i = 0
    for line in io.lines(os.getenv("TOKENS")) do
        if i % threads == id then paths[#paths + 1] = line end
        i = i + 1
    end
    if mode == "get" then
        local reversed = {}
        for j = #paths, 1, -1 do reversed[#reversed + 1] = paths[j] end
        paths = reversed
    end
end

function request()
    if mode == "hello" then return wrk.format("GET", "/") end
    counter = counter + 1
    local path = paths[((counter - 1) % #paths) + 1]
    if mode == "post" then
        return wrk.format("POST", path, { ["Content-Type"] = "application/x-www-form-urlencoded" }, "action=done")
    end
    return wrk.format("GET", path)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH {"requests":%d,"seconds":%f,"p50_ms":%f,"p99_ms":%f,"non2xx":%d,"errors":%d}\n',
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout))
end
