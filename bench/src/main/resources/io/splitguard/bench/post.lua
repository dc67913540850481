-- wrk script shared by every target of the SplitGuard bench, so all of them get identical requests.
-- Each request carries a unique Idempotency-Key (run prefix, wrk thread, per-thread counter) and a
-- session id spread over N sessions; the body is a ~500-byte contact update.
-- Arguments (after "--"): <key prefix> <bearer token or "-"> <sessions>

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "run"
  local token = args[2]
  sessions = tonumber(args[3] or "1000")
  counter = 0
  hdrs = { ["Content-Type"] = "application/json" }
  if token ~= nil and token ~= "-" and token ~= "" then
    hdrs["Authorization"] = "Bearer " .. token
  end
  notes = "Caller asked to move the follow-up call to Thursday morning and to send the revised offer by"
    .. " e-mail; confirmed the billing address and the preferred contact window. Escalation not needed,"
    .. " sentiment neutral to positive, next step owned by the account team. Customer mentioned a competing quote."
  template = '{"session_id":"session_%d","contact_id":"cust_%d","operation":"UPDATE_NOTES",'
    .. '"payload":{"interaction_type":"voice","agent_id":"agent_8821","notes":"%s",'
    .. '"timestamp":"2024-05-15T14:32:00Z"}}'
end

function request()
  counter = counter + 1
  hdrs["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  local body = string.format(template, (counter * 7 + tid * 131) % sessions, counter % 5000, notes)
  return wrk.format("POST", nil, hdrs, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
