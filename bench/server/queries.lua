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
local run = os.getenv("RUN_ID") or "0" -- unique texts never repeat across runs
local pace = tonumber(os.getenv("PACE_MS") or "0")
local threads = {}
local n_threads = 0

function setup(thread)
  thread:set("tid", n_threads)
  n_threads = n_threads + 1
  table.insert(threads, thread)
end

local counter = 0

function request()
  counter = counter + 1
  local k = counter
  if mode == "repeat" then k = (counter * 17 + tid * 5) % 64 end
  local a = words[(k % #words) + 1]
  local b = words[(math.floor(k / #words) % #words) + 1]
  local c = words[((k * 7 + 3) % #words) + 1]
  local q = "a%20photo%20of%20" .. a .. "%20" .. b .. "%20" .. c
  if mode == "unique" then q = q .. "%20" .. run .. "x" .. tid .. "x" .. counter end
  return wrk.format("GET", "/api/search?n=10&q=" .. q)
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
