-- wrk script of the webhook throughput point: distinct Genesys notifications, each signed by the
-- harness beforehand (an HMAC per request in Lua would load the client, not the gateway). Thread i
-- reads <prefix>-<i>.tsv, lines "webhook-id <TAB> timestamp <TAB> signature <TAB> body", and sends
-- them in order; if it runs out it starts over (those deliveries are replays) and counts the wraps.
-- Arguments (after "--"): <file prefix>

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  entries = {}
  for line in io.lines(args[1] .. "-" .. tid .. ".tsv") do
    entries[#entries + 1] = line
  end
  next_entry = 0
  wrapped = 0
  c200, c409, c429, c503, cother, replayed = 0, 0, 0, 0, 0, 0
end

function request()
  next_entry = next_entry + 1
  if next_entry > #entries then
    next_entry = 1
    wrapped = wrapped + 1
  end
  local id, ts, sig, body = entries[next_entry]:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = id,
    ["webhook-timestamp"] = ts,
    ["webhook-signature"] = sig,
  }, body)
end

function response(status, headers, body)
  if status == 200 then c200 = c200 + 1
  elseif status == 409 then c409 = c409 + 1
  elseif status == 429 then c429 = c429 + 1
  elseif status == 503 then c503 = c503 + 1
  else cother = cother + 1 end
  if headers["Idempotent-Replayed"] == "true" or headers["idempotent-replayed"] == "true" then
    replayed = replayed + 1
  end
end

function done(summary, latency, requests)
  local t = { c200 = 0, c409 = 0, c429 = 0, c503 = 0, cother = 0, replayed = 0, wrapped = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  io.write(string.format("WRKSTATUS s200=%d s409=%d s429=%d s503=%d other=%d replayed=%d wrapped=%d\n",
    t.c200, t.c409, t.c429, t.c503, t.cother, t.replayed, t.wrapped))
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
