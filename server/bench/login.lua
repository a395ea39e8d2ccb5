-- wrk script: POST /api/v1/auth/login with the right password (each one a
-- full Argon2id verify). USERNAME and PASSWORD come from the environment.
local body = string.format('{"username": "%s", "password": "%s"}',
  os.getenv("USERNAME"), os.getenv("PASSWORD"))

request = function()
  return wrk.format("POST", "/api/v1/auth/login",
    {["content-type"] = "application/json"}, body)
end
