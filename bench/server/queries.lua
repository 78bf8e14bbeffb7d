-- wrk script for bench/server/run.sh: GET /api/search with ~8-token text
-- queries (the size the issue measures the text tower at).
--   MODE=unique  every request a new query (the text tower runs each time)
--   MODE=repeat  queries drawn from 64 (the query-vector cache answers)
--   PACE_MS=N    each connection waits N ms between requests (an offered
--                rate of about connections * 1000 / (N + latency) per s)
local words = {"red", "flowers", "dog", "beach", "sunset", "cat", "mountain",
               "car", "city", "night", "snow", "forest", "boat", "child",
               "kitchen", "bird", "old", "bridge", "rain", "market"}
local mode = os.getenv("MODE") or "unique"
local run = tonumber(os.getenv("RUN_ID") or "0")
local pace = tonumber(os.getenv("PACE_MS") or "0")
local threads = {}
local n_threads = 0

function setup(thread)
  thread:set("tid", n_threads)
  n_threads = n_threads + 1
  table.insert(threads, thread)
end

local counter = 0

-- n as four words (base #words): "a photo of w w w w" is 9 tokens with
-- the start and end tokens.
local function words_of(n)
  local out = {}
  for _ = 1, 4 do
    table.insert(out, words[(n % #words) + 1])
    n = math.floor(n / #words)
  end
  return table.concat(out, "%20")
end

function request()
  counter = counter + 1
  local n
  if mode == "repeat" then
    n = (counter * 17 + tid * 5) % 64
  else -- never the same text twice in one server's life (run.sh numbers runs)
    n = 7919 + run * 20000 + tid * 9000 + counter
  end
  return wrk.format("GET", "/api/search?n=10&q=a%20photo%20of%20" .. words_of(n))
end

function delay()
  return pace
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f " ..
    "p99_ms=%.2f max_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
