-- wrk script: the owner's ban form submitted by 16 browser sessions in
-- turn, each time for a different typed person (a 303 to the new ban).
local sessions = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local cookie, csrf = line:match("^(%S+) (%S+)")
  sessions[#sessions + 1] = {cookie = cookie, csrf = csrf}
end
local category = os.getenv("CATEGORY")
local origin = os.getenv("ORIGIN")
local n = 0

local function name(k)
  local s = ""
  repeat
    s = s .. string.char(65 + k % 26)
    k = math.floor(k / 26)
  until k == 0
  return s
end

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  n = n + 1
  local s = sessions[n % #sessions + 1]
  local body = "csrf=" .. enc(s.csrf) .. "&venue_id=1&category_id=" .. category
    .. "&mrz=&surname=Bench&given_names=" .. name(n * 7919 + math.random(0, 7918))
    .. "&birth_date=1990-01-01&incident_date=28-11-2026&incident_time=01%3A30"
    .. "&description=Load+test+incident&hearing_statement=none&not_heard_reason="
    .. "&notified_on=&notice_method="
  return wrk.format("POST", nil, {["cookie"] = s.cookie, ["origin"] = origin,
    ["content-type"] = "application/x-www-form-urlencoded"}, body)
end
