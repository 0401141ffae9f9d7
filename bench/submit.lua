-- wrk script: every request submits a report; counts statuses so the script can report how many
-- were acknowledged (201 = durably stored).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"subject":"Heap overflow in the flow exporter","steps":"1. send a crafted IPFIX record\\n2. watch the agent crash","effects_cluster":"agent restarts","attack_vectors":"any pod on the node"}'

local counts = {}
function setup(thread)
  thread:set("created", 0)
  thread:set("other", 0)
  table.insert(counts, thread)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local created, other = 0, 0
  for _, t in ipairs(counts) do
    created = created + t:get("created")
    other = other + t:get("other")
  end
  io.write(string.format("STATUS created=%d other=%d\n", created, other))
  io.write(string.format("LATENCY p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
