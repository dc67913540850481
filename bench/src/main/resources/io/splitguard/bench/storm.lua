-- wrk script of the storm benchmark: the same Genesys notification delivered again and again (one
-- webhook-id, one body), as a platform retrying one event would. The timestamp is re-signed every
-- second from a table the harness wrote (one "unix-seconds signature" line per second), so deliveries
-- stay inside the signature tolerance however long the storm runs. Each thread stops after its share
-- of the total. Arguments (after "--"): <signature table> <webhook-id> <body file> <total> <threads>

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } splitguard_timeval;
int gettimeofday(splitguard_timeval *tv, void *tz);
]]
local tv = ffi.new("splitguard_timeval")

-- wall clock in microseconds (os.time() has only seconds): when the storm really started and ended
local function micros()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  sigs = {}
  first = nil
  for line in io.lines(args[1]) do
    local ts, sig = line:match("^(%d+) (%S+)$")
    if ts then
      sigs[tonumber(ts)] = sig
      first = first or tonumber(ts)
    end
  end
  id = args[2]
  body = slurp(args[3])
  cap = math.ceil(tonumber(args[4]) / tonumber(args[5]))
  answered = 0
  c200, c409, c429, c503, cother, replayed = 0, 0, 0, 0, 0, 0
  last = -1
  first_us = 0
  last_us = 0
end

function request()
  if first_us == 0 then
    first_us = micros()
  end
  local now = os.time()
  if now ~= last then
    last = now
    local ts = sigs[now] and now or first
    req = wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["webhook-id"] = id,
      ["webhook-timestamp"] = tostring(ts),
      ["webhook-signature"] = sigs[ts],
    }, body)
  end
  return req
end

function response(status, headers, body)
  answered = answered + 1
  last_us = micros()
  if status == 200 then c200 = c200 + 1
  elseif status == 409 then c409 = c409 + 1
  elseif status == 429 then c429 = c429 + 1
  elseif status == 503 then c503 = c503 + 1
  else cother = cother + 1 end
  if headers["Idempotent-Replayed"] == "true" or headers["idempotent-replayed"] == "true" then
    replayed = replayed + 1
  end
  if answered >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local t = { c200 = 0, c409 = 0, c429 = 0, c503 = 0, cother = 0, replayed = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  local from, to = 0, 0
  for _, thread in ipairs(threads) do
    local f, l = thread:get("first_us") or 0, thread:get("last_us") or 0
    if f > 0 and (from == 0 or f < from) then from = f end
    if l > to then to = l end
  end
  io.write(string.format("WRKSTATUS s200=%d s409=%d s429=%d s503=%d other=%d replayed=%d wrapped=0"
      .. " first_us=%.0f last_us=%.0f\n",
    t.c200, t.c409, t.c429, t.c503, t.cother, t.replayed, from, to))
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
