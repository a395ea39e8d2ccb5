-- wrk script: POST /api/v1/bans with a different person each request.
-- TOKEN comes from the environment (an owner's session of venue 1).
local counter = 0
local token = os.getenv("TOKEN")

local function name(n)
  local s = ""
  repeat
    s = s .. string.char(65 + n % 26)
    n = math.floor(n / 26)
  until n == 0
  return s
end

request = function()
  counter = counter + 1
  local body = string.format([[{"venue_id": 1, "category_id": 1,
    "person": {"surname": "Bench", "given_names": "%s", "birth_date": "1990-01-01"},
    "incident_at": "2026-11-28T01:30:00+01:00",
    "incident_description": "Load test incident",
    "hearing": {"statement": "none"}}]], name(counter * 7919 + math.random(0, 7918)))
  return wrk.format("POST", "/api/v1/bans",
    {["content-type"] = "application/json", ["authorization"] = "Bearer " .. token}, body)
end
