-- post.lua (the CRM contact update with a unique Idempotency-Key) with the answers counted by status,
-- so the CRM point of the storm benchmark reports the same columns as the webhook point.
-- Arguments (after "--"): <key prefix> <bearer token> <sessions>

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "run"
  sessions = tonumber(args[3] or "1000")
  counter = 0
  hdrs = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[2] }
  notes = "Caller asked to move the follow-up call to Thursday morning and to send the revised offer by"
    .. " e-mail; confirmed the billing address and the preferred contact window. Escalation not needed,"
    .. " sentiment neutral to positive, next step owned by the account team. Customer mentioned a competing quote."
  template = '{"session_id":"session_%d","contact_id":"cust_%d","operation":"UPDATE_NOTES",'
    .. '"payload":{"interaction_type":"voice","agent_id":"agent_8821","notes":"%s",'
    .. '"timestamp":"2024-05-15T14:32:00Z"}}'
  c200, c409, c429, c503, cother, replayed = 0, 0, 0, 0, 0, 0
end

function request()
  counter = counter + 1
  hdrs["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  local body = string.format(template, (counter * 7 + tid * 131) % sessions, counter % 5000, notes)
  return wrk.format("POST", nil, hdrs, body)
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
  local t = { c200 = 0, c409 = 0, c429 = 0, c503 = 0, cother = 0, replayed = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  io.write(string.format("WRKSTATUS s200=%d s409=%d s429=%d s503=%d other=%d replayed=%d wrapped=0\n",
    t.c200, t.c409, t.c429, t.c503, t.cother, t.replayed))
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
