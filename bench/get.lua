-- wrk script: GETs the URL given with the bearer token in the environment variable VIGIL_TOKEN;
-- counts statuses and prints p50/p99 latency in microseconds for the benchmark to read.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VIGIL_TOKEN")

local threads = {}
function setup(thread)
  thread:set("ok", 0)
  thread:set("other", 0)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok")
    other = other + t:get("other")
  end
  io.write(string.format("STATUS ok=%d other=%d\n", ok, other))
  io.write(string.format("LATENCY p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
