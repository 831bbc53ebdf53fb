-- wrk script for every run: optional POST body, and exact statistics printed as one JSON line.
-- Arguments (after `--`): "get", "post" and a body size in bytes, or "path" and a path to GET.

function init(args)
   if args[1] == "post" then
      local size = tonumber(args[2]) or 65536
      wrk.method = "POST"
      wrk.body = string.rep("x", size)
      wrk.headers["Content-Type"] = "application/octet-stream"
   elseif args[1] == "path" then
      wrk.path = args[2]
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,'
      .. '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
