-- wrk script for the anchor: counts statuses (every answer must be 200, or the anchor measures
-- nothing) and prints the same latency line as submit.lua.
local counts = {}
function setup(thread)
  thread:set("ok", 0)
  thread:set("other", 0)
  table.insert(counts, thread)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(counts) do
    ok = ok + t:get("ok")
    other = other + t:get("other")
  end
  io.write(string.format("STATUS ok=%d other=%d\n", ok, other))
  io.write(string.format("LATENCY p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
