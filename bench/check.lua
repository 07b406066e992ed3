-- wrk script of `make bench`: count every response by status and check that each 200 is the
-- page that was meant (its body contains the page's marker, a string the login page lacks).
--
--   wrk ... -s bench/check.lua URL -- MARKER
--
-- At the end it prints one line that bench/measure.py parses (parse_check) and judges
-- (check_problems); the bench fails when any response is not a 200 with the marker:
--
--   bench-check responses=N marker_missing=N connect=N read=N write=N timeout=N status_200=N ...

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  marker = args[1]
  if marker == nil or marker == "" then
    error("bench/check.lua needs the page's marker: wrk ... URL -- MARKER")
  end
  responses = 0
  marker_missing = 0
  statuses = {}
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 and (body == nil or not string.find(body, marker, 1, true)) then
    marker_missing = marker_missing + 1
  end
end

function done(summary, latency, requests)
  local total, missing, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    total = total + (thread:get("responses") or 0)
    missing = missing + (thread:get("marker_missing") or 0)
    for status, count in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local e = summary.errors
  local line = string.format(
    "bench-check responses=%d marker_missing=%d connect=%d read=%d write=%d timeout=%d",
    total, missing, e.connect, e.read, e.write, e.timeout
  )
  local codes = {}
  for status in pairs(by_status) do
    table.insert(codes, status)
  end
  table.sort(codes)
  for _, status in ipairs(codes) do
    line = line .. string.format(" status_%d=%d", status, by_status[status])
  end
  io.write(line .. "\n")
end
