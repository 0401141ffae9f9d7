-- wrk script for the anchor: prints the same latency line as submit.lua.
function done(summary, latency, requests)
  io.write(string.format("LATENCY p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
