-- wrk script: GET with the cookie of one of 16 browser sessions, in turn.
-- SESSIONS names a file of "cookie csrf" lines (server/bench/web.sh).
local sessions = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local cookie = line:match("^(%S+)")
  sessions[#sessions + 1] = cookie
end
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", nil, {["cookie"] = sessions[n % #sessions + 1]})
end
