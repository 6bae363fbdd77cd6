-- wrk script for tend's pages. MODE=post answers `/n/{token}` with
-- "done" (each thread takes every THREADS-th token of the TOKENS file, so
-- no two requests share a token until the file runs out); MODE=get fetches
-- the pages (from the end of the file); MODE=hello fetches "/";
-- MODE=metrics fetches "/metrics" (with AUTHORIZATION if set);
-- MODE=subscribe posts the subscribe form, each request from the next of
-- CLIENTS distinct IPv4 addresses (in the X-Real-IP header tend trusts),
-- for one of EMAILS addresses.
-- done() prints one "BENCH {json}" line that tend-bench parses; "issued"
-- counts every request sent, including those still in flight when wrk
-- stopped (which the server may finish, but wrk does not count).
local mode = os.getenv("MODE") or "get"
local threads = tonumber(os.getenv("THREADS") or "2")
local next_id = 0
local paths = {}
local threads_seen = {}
-- A global, so that done() can read each thread's with thread:get.
counter = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    threads_seen[#threads_seen + 1] = thread
end

local clients = tonumber(os.getenv("CLIENTS") or "1")
local emails = tonumber(os.getenv("EMAILS") or "1000")
local authorization = os.getenv("AUTHORIZATION")

function init(args)
    if mode == "hello" or mode == "metrics" or mode == "subscribe" then return end
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

-- The n-th client address: 10.x.y.z, distinct for n below 2^24.
local function client_ip(n)
    return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end

function request()
    if mode == "hello" then return wrk.format("GET", "/") end
    if mode == "metrics" then
        if authorization then return wrk.format("GET", "/metrics", { ["Authorization"] = authorization }) end
        return wrk.format("GET", "/metrics")
    end
    if mode == "subscribe" then
        counter = counter + 1
        local n = ((counter - 1) * threads + id) % clients
        local body = string.format("email=bench%d%%40bench.example&timezone=UTC&time=08%%3A30", n % emails)
        return wrk.format("POST", "/subscribe", {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Real-IP"] = client_ip(n),
        }, body)
    end
    counter = counter + 1
    local path = paths[((counter - 1) % #paths) + 1]
    if mode == "post" then
        return wrk.format("POST", path, { ["Content-Type"] = "application/x-www-form-urlencoded" }, "action=done")
    end
    return wrk.format("GET", path)
end

function done(summary, latency, requests)
    local e = summary.errors
    local issued = 0
    for _, thread in ipairs(threads_seen) do issued = issued + (thread:get("counter") or 0) end
    io.write(string.format(
        'BENCH {"requests":%d,"issued":%d,"seconds":%f,"p50_ms":%f,"p99_ms":%f,"non2xx":%d,"errors":%d}\n',
        summary.requests, issued, summary.duration / 1e6, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
