-- Runs once in each new Lua state, with Lua 5.4's standard library, before any script. It builds what scripts
-- see, which is Redis 7.0's scripting environment: Lua 5.1 names (unpack, loadstring, table.getn), the redis,
-- bit, cjson and struct libraries, no io/os/package, and globals that can be neither created nor changed.
-- It returns the functions the server calls: compile, run, flush, and those of FUNCTION and FCALL.
local native_call, native_sha1hex, native_log, native_setresp, native_killed, native_setrepl, native_untail, native_load_overdue, native_acl_check = ...

local G, dbg = _G, debug
local type, tostring, error, pairs, ipairs, next, select, setmetatable, rawget, pcall = type, tostring, error, pairs, ipairs, next, select, setmetatable, rawget, pcall
local lua_load, floor, tointeger, format, utf8char, tonumber = load, math.floor, math.tointeger, string.format, utf8.char, tonumber
local string_dump = string.dump

-- Raises msg with the position of the user's code that called into the library, as luaL_error does in the C libraries
-- of Redis's Lua (their level 1 is the Lua function calling them), however deep in the prelude it is raised.
local function raise(msg)
  local level = 2
  while true do
    local info = dbg.getinfo(level, "S")
    if not info or info.source ~= "=prelude" then break end
    level = level + 1
  end
  error(msg, level)
end

-- Compiles the user's code (text only) with its tail calls made plain calls, so that an error raised in a function
-- it returns the result of ("return redis.call(...)") still has the script's line, as Redis's Lua 5.1 reports it.
local function compile_user_code(code, name, env)
  local fn, err = lua_load(code, name, "t", env)
  if not fn then return nil, err end
  return lua_load(native_untail(string_dump(fn)), name, "b", env)
end

-- Lua 5.1 names scripts written for Redis rely on.
unpack = table.unpack
table.getn = function(t) return #t end
math.pow = function(x, y) return x ^ y end
math.mod = math.fmod
-- Text chunks only: a precompiled binary chunk could break out of the sandbox.
load = function(chunk, name, _, env) return lua_load(chunk, name, "t", env) end
loadstring = load

-- What Redis does not offer scripts.
io, os, package, require, dofile, loadfile, utf8, debug = nil, nil, nil, nil, nil, nil, nil, nil

---------------------------------------------------------------------------------------------------- redis
local redis = {
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = "7.0.15", REDIS_VERSION_NUM = 0x07000f,
}
-- The server answers (failed, value); an error reply is raised by call and returned by pcall, as a table {err=...}.
redis.call = function(...)
  local failed, value = native_call(...)
  if failed then error(value) end
  return value
end
redis.pcall = function(...)
  local _, value = native_call(...)
  return value
end
redis.acl_check_cmd = function(...)
  local failed, value = native_acl_check(...)
  if failed then error(value) end
  return value
end
-- A bad argument is not raised: the error is the value returned (luaRedisReturnSingleFieldTable).
local wrong_arguments = { err = "ERR wrong number or type of arguments" }
redis.error_reply = function(message)
  if type(message) ~= "string" then return wrong_arguments end
  -- "-CODE msg" and "CODE msg" are the same error (luaRedisErrorReplyCommand adds the '-' that the reply then drops);
  -- without a space there is no code, and luaPushErrorBuff gives it ERR.
  if message:sub(1, 1) == "-" then message = message:sub(2) end
  if not message:find(" ", 1, true) then message = "ERR " .. message end
  return { err = message }
end
redis.status_reply = function(message)
  if type(message) ~= "string" then return wrong_arguments end
  return { ok = message }
end
redis.sha1hex = function(...)
  if select("#", ...) ~= 1 then error("wrong number of arguments", 0) end
  -- lua_tolstring: a string or a number is hashed as its text, anything else as nothing.
  local text = ...
  local kind = type(text)
  return native_sha1hex((kind == "string" or kind == "number") and tostring(text) or "")
end
redis.log = function(level, ...)
  if select("#", ...) < 1 then error("redis.log() requires two arguments or more.", 0) end
  if type(level) ~= "number" then error("First argument must be a number (log level).", 0) end
  if level < 0 or level > 3 then error("Invalid debug level.", 0) end
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  native_log(level, table.concat(parts, " "))
end
redis.setresp = function(version)
  if version ~= 2 and version ~= 3 then error("RESP version must be 2 or 3.", 0) end
  native_setresp(version)
end
-- Effects are always what is journaled (Redis 7's only mode): replicate_commands has nothing to change. set_repl
-- decides whether the writes that follow reach the AOF (there are no replicas).
redis.replicate_commands = function() return true end
redis.set_repl = function(flags)
  if type(flags) ~= "number" or flags < 0 or flags > 3 then error("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", 0) end
  native_setrepl(flags)
end
redis.breakpoint = function() return false end
redis.debug = function() end

---------------------------------------------------------------------------------------------------- bit (LuaBitOp)
local function u32(x) return floor(x) & 0xffffffff end
local function tobit(x)
  x = u32(x)
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end

-- LuaBitOp checks every argument with luaL_checknumber: a number, or a string that reads as one; a missing one is
-- "no value". <required> arguments are checked, the rest when present; then <f> gets them as numbers.
local function bitop(name, required, f)
  return function(...)
    local n = select("#", ...)
    local args = { ... }
    for i = 1, math.max(n, required) do
      local v = args[i]
      if i <= required or v ~= nil then
        local number = tonumber(v)
        if type(v) ~= "number" and (type(v) ~= "string" or number == nil) then
          raise(format("bad argument #%d to '%s' (number expected, got %s)", i, name, i > n and "no value" or type(v)))
        end
        args[i] = number
      end
    end
    return f(table.unpack(args, 1, math.max(n, required)))
  end
end
local function fold(op) return function(x, ...) local r = u32(x) for i = 1, select("#", ...) do r = op(r, u32((select(i, ...)))) end return tobit(r) end end
local bit = {
  tobit = bitop("tobit", 1, tobit),
  bnot = bitop("bnot", 1, function(x) return tobit(~u32(x)) end),
  band = bitop("band", 1, fold(function(a, b) return a & b end)),
  bor = bitop("bor", 1, fold(function(a, b) return a | b end)),
  bxor = bitop("bxor", 1, fold(function(a, b) return a ~ b end)),
  lshift = bitop("lshift", 2, function(x, n) return tobit(u32(x) << (u32(n) & 31)) end),
  rshift = bitop("rshift", 2, function(x, n) return tobit(u32(x) >> (u32(n) & 31)) end),
  arshift = bitop("arshift", 2, function(x, n)
    n = u32(n) & 31
    local v = tobit(x)
    if v >= 0 then return tobit(v >> n) end
    return tobit(~((~v) >> n))
  end),
  rol = bitop("rol", 2, function(x, n) x, n = u32(x), u32(n) & 31 return tobit((x << n) | (x >> (32 - n))) end),
  ror = bitop("ror", 2, function(x, n) x, n = u32(x), u32(n) & 31 return tobit((x >> n) | (x << (32 - n))) end),
  bswap = bitop("bswap", 1, function(x)
    x = u32(x)
    return tobit(((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24))
  end),
  tohex = bitop("tohex", 1, function(x, n)
    n = n == nil and 8 or tointeger(floor(n))
    local digits = "0123456789abcdef"
    if n < 0 then n = -n digits = "0123456789ABCDEF" end
    if n > 8 then n = 8 end
    x = u32(x)
    local out = {}
    for i = n, 1, -1 do
      local d = x & 15
      out[i] = digits:sub(d + 1, d + 1)
      x = x >> 4
    end
    return table.concat(out)
  end),
}

---------------------------------------------------------------------------------------------------- cjson
local cjson = {}
-- lua_cjson's settings (its json_config_t), changed by the cjson.encode_* and decode_* functions below.
local cfg = { sparse_convert = false, sparse_ratio = 2, sparse_safe = 10, encode_max_depth = 1000, decode_max_depth = 1000,
  encode_invalid_numbers = false, decode_invalid_numbers = true, keep_buffer = true, precision = 14 }
local json_null = setmetatable({}, { __tostring = function() return "null" end })
cjson.null = json_null
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function encode_string(s)
  return '"' .. s:gsub('[%c"\\/]', function(c) return escapes[c] or format("\\u%04x", c:byte()) end) .. '"'
end
local function encode_number(n)
  if n ~= n or n == math.huge or n == -math.huge then
    local mode = cfg.encode_invalid_numbers
    if mode == false then raise("Cannot serialise number: must not be NaN or Inf") end
    if mode == "null" then return "null" end
    if n ~= n then return "nan" end
    return n > 0 and "inf" or "-inf"
  end
  if tointeger(n) and cfg.precision >= 14 then return format("%d", n) end
  return format("%." .. cfg.precision .. "g", n)
end
local encode_value
local function is_array(t)
  local max, count = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or floor(k) ~= k then return false end
    if k > max then max = k end
    count = count + 1
  end
  if cfg.sparse_ratio > 0 and max > count * cfg.sparse_ratio and max > cfg.sparse_safe then
    if not cfg.sparse_convert then raise("Cannot serialise table: excessively sparse array") end
    return false
  end
  return true, max
end
encode_value = function(v, depth)
  local t = type(v)
  if t == "string" then return encode_string(v)
  elseif t == "number" then return encode_number(v)
  elseif t == "boolean" then return tostring(v)
  elseif v == nil or v == json_null then return "null"
  elseif t == "table" then
    if depth + 1 > cfg.encode_max_depth then raise(format("Cannot serialise, excessive nesting (%d)", depth + 1)) end
    local array, n = is_array(v)
    local out = {}
    if array and n > 0 then
      for i = 1, n do out[i] = encode_value(v[i], depth + 1) end
      return "[" .. table.concat(out, ",") .. "]"
    end
    for k, item in pairs(v) do
      local key = type(k) == "number" and encode_number(k) or type(k) == "string" and k or raise("Cannot serialise " .. type(k) .. ": table key must be a number or string")
      out[#out + 1] = encode_string(key) .. ":" .. encode_value(item, depth + 1)
    end
    return "{" .. table.concat(out, ",") .. "}"
  end
  raise("Cannot serialise " .. t .. ": type not supported")
end
cjson.encode = function(v) return encode_value(v, 0) end

-- lua_cjson names the token it found where it expected another: the end, a structural character, a string, a number,
-- a boolean or null; anything else is an invalid token.
local token_names = { ["{"] = "T_OBJ_BEGIN", ["}"] = "T_OBJ_END", ["["] = "T_ARR_BEGIN", ["]"] = "T_ARR_END", [","] = "T_COMMA", [":"] = "T_COLON", ['"'] = "T_STRING" }
local function token_at(s, i)
  if i > #s then return "T_END" end
  local c = s:sub(i, i)
  if token_names[c] then return token_names[c] end
  if c:match("[-%d]") then return "T_NUMBER" end
  if s:sub(i, i + 3) == "true" or s:sub(i, i + 4) == "false" then return "T_BOOLEAN" end
  if s:sub(i, i + 3) == "null" then return "T_NULL" end
  return "invalid token"
end
local function decode_error(s, i, what, found) raise(format("Expected %s but found %s at character %d", what, found or token_at(s, i), i)) end
local decode_value
local function skip(s, i) return s:find("[^ \t\r\n]", i) or #s + 1 end
-- A string where <what> was expected; its own faults are named as lua_cjson's tokenizer names them.
local function decode_string(s, i, what)
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then decode_error(s, j, what, "unexpected end of string") end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      local simple = ({ b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" })[e]
      if simple then out[#out + 1] = simple j = j + 2
      elseif e == "u" then
        local code = tonumber(s:sub(j + 2, j + 5), 16) or decode_error(s, j, what, "invalid unicode escape code")
        if code >= 0xD800 and code <= 0xDBFF and s:sub(j + 6, j + 7) == "\\u" then
          local low = tonumber(s:sub(j + 8, j + 11), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) j = j + 6 end
        end
        out[#out + 1] = utf8char(code) j = j + 6
      else decode_error(s, j, what, "invalid escape code") end
    else
      local k = s:find('["\\]', j) or #s + 1
      out[#out + 1] = s:sub(j, k - 1)
      j = k
    end
  end
end
decode_value = function(s, i, depth)
  i = skip(s, i)
  local c = s:sub(i, i)
  if (c == "{" or c == "[") and depth + 1 > cfg.decode_max_depth then
    raise(format("Found too many nested data structures (%d) at character %d", depth + 1, i))
  end
  if c == "{" then
    local t = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return t, i + 1 end
    while true do
      if s:sub(i, i) ~= '"' then decode_error(s, i, "object key string") end
      local key
      key, i = decode_string(s, i, "object key string")
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then decode_error(s, i, "colon") end
      t[key], i = decode_value(s, i + 1, depth + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "comma or object end") end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local t, n = {}, 0
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return t, i + 1 end
    while true do
      n = n + 1
      t[n], i = decode_value(s, i, depth + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "comma or array end") end
      i = i + 1
    end
  elseif c == '"' then return decode_string(s, i, "value")
  elseif s:sub(i, i + 3) == "true" then return true, i + 4
  elseif s:sub(i, i + 4) == "false" then return false, i + 5
  elseif s:sub(i, i + 3) == "null" then return json_null, i + 4
  else
    -- With decode_invalid_numbers (the default), strtod's other forms: inf, infinity, nan and hexadecimal.
    local word = cfg.decode_invalid_numbers and s:match("^[-+]?[%w%.]+", i)
    if word then
      local sign, body = word:match("^([-+]?)(.*)$")
      local lower = body:lower()
      if lower == "inf" or lower == "infinity" then return (sign == "-" and -math.huge or math.huge), i + #word end
      if lower == "nan" then return 0 / 0, i + #word end
      if lower:match("^0x%x+$") then
        local n = tonumber(body)
        return sign == "-" and -n or n, i + #word
      end
    end
    local number = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not number or number == "" or not tonumber(number) then decode_error(s, i, "value") end
    -- Lua 5.1 has one number type and prints 5.0 as "5"; Lua 5.4 prints a float 5.0 as "5.0". A whole number decodes
    -- to an integer here, so scripts print it as under Redis's Lua 5.1.
    local n = tonumber(number)
    if math.type(n) == "float" and n == math.floor(n) and n >= -2^53 and n <= 2^53 and 1 / n ~= -math.huge then
      n = math.tointeger(n)
    end
    return n, i + #number
  end
end
cjson.decode = function(...)
  if select("#", ...) ~= 1 then raise("bad argument #1 to 'decode' (expected 1 argument)") end
  local s = ...
  -- luaL_checklstring: a number is read as its text.
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then raise("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")") end
  local value, i = decode_value(s, 1, 0)
  i = skip(s, i)
  if i <= #s then decode_error(s, i, "the end") end
  return value
end
-- The settings functions, as lua_cjson's json_cfg_*: each takes nil for "leave it", checks its arguments with
-- lua_cjson's words, and answers the settings now in force.
-- The name the caller used for the running settings function, as luaL_argerror names it: "?" when there is none
-- (called through pcall).
local function called_name()
  local info = dbg.getinfo(2, "n")
  return info and info.name or "?"
end
local function cfg_args(name, max, ...)
  if select("#", ...) > max then raise(format("bad argument #%d to '%s' (found too many arguments)", max + 1, name)) end
end
local function integer_option(name, index, key, value, min, max)
  if value ~= nil then
    local n = tonumber(value)
    if n == nil then raise(format("bad argument #%d to '%s' (number expected, got %s)", index, name, type(value))) end
    n = tointeger(n >= 0 and floor(n) or -floor(-n))
    if n == nil or n < min or n > max then raise(format("bad argument #1 to '%s' (expected integer between %d and %d)", name, min, max)) end
    cfg[key] = n
  end
  return cfg[key]
end
local function enum_option(name, index, key, value, options)
  if value ~= nil then
    if type(value) == "boolean" then cfg[key] = value
    else
      local text = type(value) == "string" and value or type(value) == "number" and tostring(value) or nil
      if text == nil then raise(format("bad argument #%d to '%s' (string expected, got %s)", index, name, type(value))) end
      local found
      for _, option in ipairs(options) do if option == text then found = option end end
      if found == nil then raise(format("bad argument #%d to '%s' (invalid option '%s')", index, name, text)) end
      if found == "on" then cfg[key] = true elseif found == "off" then cfg[key] = false else cfg[key] = found end
    end
  end
  return cfg[key]
end
cjson.encode_keep_buffer = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return enum_option(name, 1, "keep_buffer", (...), { "off", "on" })
end
cjson.encode_max_depth = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return integer_option(name, 1, name, (...), 1, 2147483647)
end
cjson.decode_max_depth = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return integer_option(name, 1, name, (...), 1, 2147483647)
end
cjson.encode_number_precision = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return integer_option(name, 1, "precision", (...), 1, 14)
end
cjson.encode_sparse_array = function(...)
  local name = called_name()
  cfg_args(name, 3, ...)
  local convert, ratio, safe = ...
  return enum_option(name, 1, "sparse_convert", convert, { "off", "on" }),
    integer_option(name, 2, "sparse_ratio", ratio, 0, 2147483647),
    integer_option(name, 3, "sparse_safe", safe, 0, 2147483647)
end
cjson.encode_invalid_numbers = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return enum_option(name, 1, name, (...), { "off", "on", "null" })
end
cjson.decode_invalid_numbers = function(...)
  local name = called_name()
  cfg_args(name, 1, ...)
  return enum_option(name, 1, name, (...), { "off", "on" })
end

---------------------------------------------------------------------------------------------------- struct
-- Roberto Ierusalimschy's struct library, on Lua 5.4's string.pack: the same formats except that a
-- zero-terminated string is 's' there and 'z' here, and sizes default to those of the original.
local function struct_format(fmt)
  return (fmt:gsub("[sl]", { s = "z", l = "i8" }):gsub("L", "I8"))
end
-- string.pack's errors raised where the script called struct, in struct's words: the argument numbers are the same,
-- the function is struct's, and a bad format is an error about argument 1.
local function struct_call(f, name, fmt, ...)
  local results = table.pack(pcall(f, struct_format(fmt), ...))
  if results[1] then return table.unpack(results, 2, results.n) end
  local message = tostring(results[2]):gsub("^[^:]*:%d+: ", "")
  local argument, problem = message:match("^bad argument #(%d+) to '[^']*' %((.*)%)$")
  raise(format("bad argument #%s to '%s' (%s)", argument or "1", name, problem or message))
end
local struct = {
  pack = function(fmt, ...) return struct_call(string.pack, "pack", fmt, ...) end,
  unpack = function(fmt, s, pos) return struct_call(string.unpack, "unpack", fmt, s, pos) end,
  size = function(fmt) return struct_call(string.packsize, "size", fmt) end,
}

---------------------------------------------------------------------------------------------------- cmsgpack
-- lua-cmsgpack's behaviour: integral numbers pack as the smallest integer type, other numbers as float when that is
-- exact, else double; a table whose keys are 1..n is an array, any other a map; nesting deeper than 16 packs nil.
local pack_str, unpack_str, mtype = string.pack, string.unpack, math.type
local cmsgpack = {}
local function encode_integer(n, out)
  if n >= 0 then
    if n < 128 then out[#out + 1] = pack_str("B", n)
    elseif n < 0x100 then out[#out + 1] = pack_str(">BB", 0xcc, n)
    elseif n < 0x10000 then out[#out + 1] = pack_str(">BI2", 0xcd, n)
    elseif n < 0x100000000 then out[#out + 1] = pack_str(">BI4", 0xce, n)
    else out[#out + 1] = pack_str(">Bi8", 0xcf, n) end
  else
    if n >= -32 then out[#out + 1] = pack_str("b", n)
    elseif n >= -128 then out[#out + 1] = pack_str(">Bb", 0xd0, n)
    elseif n >= -32768 then out[#out + 1] = pack_str(">Bi2", 0xd1, n)
    elseif n >= -2147483648 then out[#out + 1] = pack_str(">Bi4", 0xd2, n)
    else out[#out + 1] = pack_str(">Bi8", 0xd3, n) end
  end
end
local function encode_msgpack(v, out, depth)
  local t = type(v)
  if t == "nil" then out[#out + 1] = "\xc0"
  elseif t == "boolean" then out[#out + 1] = v and "\xc3" or "\xc2"
  elseif t == "number" then
    local i = tointeger(v)
    if i and (mtype(v) == "integer" or (v >= -9.2233720368547758e18 and v < 9.2233720368547758e18)) then encode_integer(i, out)
    elseif unpack_str("<f", pack_str("<f", v)) == v then out[#out + 1] = pack_str(">Bf", 0xca, v)
    else out[#out + 1] = pack_str(">Bd", 0xcb, v) end
  elseif t == "string" then
    local n = #v
    if n < 32 then out[#out + 1] = pack_str("B", 0xa0 | n)
    elseif n < 0x100 then out[#out + 1] = pack_str(">BB", 0xd9, n)
    elseif n < 0x10000 then out[#out + 1] = pack_str(">BI2", 0xda, n)
    else out[#out + 1] = pack_str(">BI4", 0xdb, n) end
    out[#out + 1] = v
  elseif t == "table" then
    if depth >= 16 then out[#out + 1] = "\xc0" return end
    local count, max = 0, 0
    local array = true
    for k in pairs(v) do
      count = count + 1
      if type(k) ~= "number" or k < 1 or floor(k) ~= k then array = false elseif k > max then max = k end
    end
    if array and max ~= count then array = false end
    if array then
      if count < 16 then out[#out + 1] = pack_str("B", 0x90 | count)
      elseif count < 0x10000 then out[#out + 1] = pack_str(">BI2", 0xdc, count)
      else out[#out + 1] = pack_str(">BI4", 0xdd, count) end
      for i = 1, count do encode_msgpack(v[i], out, depth + 1) end
    else
      if count < 16 then out[#out + 1] = pack_str("B", 0x80 | count)
      elseif count < 0x10000 then out[#out + 1] = pack_str(">BI2", 0xde, count)
      else out[#out + 1] = pack_str(">BI4", 0xdf, count) end
      for k, item in pairs(v) do
        encode_msgpack(k, out, depth + 1)
        encode_msgpack(item, out, depth + 1)
      end
    end
  else
    out[#out + 1] = "\xc0"
  end
end
cmsgpack.pack = function(...)
  local n = select("#", ...)
  if n == 0 then raise("bad argument #0 to 'pack' (MessagePack pack needs input.)") end
  local out = {}
  for i = 1, n do encode_msgpack((select(i, ...)), out, 0) end
  return table.concat(out)
end

local decode_msgpack
local function decode_items(s, i, count, map)
  local t = {}
  for n = 1, count do
    if map then
      local k
      k, i = decode_msgpack(s, i)
      t[k], i = decode_msgpack(s, i)
    else
      t[n], i = decode_msgpack(s, i)
    end
  end
  return t, i
end
local function need(s, i, n) if i + n - 1 > #s then error("Missing bytes in input.", 0) end end
decode_msgpack = function(s, i)
  need(s, i, 1)
  local b = s:byte(i)
  i = i + 1
  if b < 0x80 then return b, i end
  if b >= 0xe0 then return b - 0x100, i end
  if b >= 0xa0 and b <= 0xbf then need(s, i, b - 0xa0) return s:sub(i, i + b - 0xa0 - 1), i + b - 0xa0 end
  if b >= 0x90 and b <= 0x9f then return decode_items(s, i, b - 0x90, false) end
  if b >= 0x80 and b <= 0x8f then return decode_items(s, i, b - 0x80, true) end
  if b == 0xc0 then return nil, i end
  if b == 0xc2 then return false, i end
  if b == 0xc3 then return true, i end
  local formats = { [0xcc] = ">B", [0xcd] = ">I2", [0xce] = ">I4", [0xcf] = ">i8", [0xd0] = ">b", [0xd1] = ">i2", [0xd2] = ">i4", [0xd3] = ">i8", [0xca] = ">f", [0xcb] = ">d" }
  if formats[b] then
    need(s, i, string.packsize(formats[b]))
    return unpack_str(formats[b], s, i)
  end
  local lengths = { [0xd9] = ">B", [0xda] = ">I2", [0xdb] = ">I4", [0xc4] = ">B", [0xc5] = ">I2", [0xc6] = ">I4" }
  if lengths[b] then
    need(s, i, string.packsize(lengths[b]))
    local n, j = unpack_str(lengths[b], s, i)
    need(s, j, n)
    return s:sub(j, j + n - 1), j + n
  end
  local counts = { [0xdc] = { ">I2", false }, [0xdd] = { ">I4", false }, [0xde] = { ">I2", true }, [0xdf] = { ">I4", true } }
  if counts[b] then
    need(s, i, string.packsize(counts[b][1]))
    local n, j = unpack_str(counts[b][1], s, i)
    return decode_items(s, j, n, counts[b][2])
  end
  error("Bad data format in input.", 0)
end
local function unpack_from(s, limit, offset)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then raise("bad argument #1 to 'unpack' (string expected, got " .. type(s) .. ")") end
  local values, n, i = {}, 0, (offset or 0) + 1
  while i <= #s and (limit == 0 or n < limit) do
    local value
    value, i = decode_msgpack(s, i)
    n = n + 1
    values[n] = value
  end
  return values, n, i
end
cmsgpack.unpack = function(s)
  local values, n = unpack_from(s, 0, 0)
  return table.unpack(values, 1, n)
end
-- unpack_one / unpack_limit answer the offset to continue from (-1 at the end) before the values.
cmsgpack.unpack_limit = function(s, limit, offset)
  local values, n, i = unpack_from(s, limit or 0, offset or 0)
  return (i > #s) and -1 or i - 1, table.unpack(values, 1, n)
end
cmsgpack.unpack_one = function(s, offset) return cmsgpack.unpack_limit(s, 1, offset) end

---------------------------------------------------------------------------------------------------- the sandbox
-- Redis's Lua marks the globals and its libraries read-only tables: assigning to them, rawset and setmetatable on them
-- fail with "Attempt to modify a readonly table". Here they are empty proxies of the real tables; protected maps each
-- proxy to what it shows, so the raw functions scripts get see through it and cannot write into it.
local readonly_error = "Attempt to modify a readonly table"
local protected = setmetatable({}, { __mode = "k" })
local function refuse_write() error(readonly_error, 2) end
local function proxy(source, index, exposed_metatable)
  local p = setmetatable({}, {
    __index = index,
    __newindex = refuse_write,
    __pairs = function() return next, source, nil end,
    __len = function() return #source end,
    __metatable = exposed_metatable or false,
  })
  protected[p] = source
  return p
end
local function readonly(t) return proxy(t, t) end

-- Lua 5.1 wrote every number with "%.14g" (5.0 is "5"); 5.4 writes floats with a ".0".
local lua_tostring = tostring
G.tostring = function(v)
  if math.type(v) == "float" then return format("%.14g", v) end
  return lua_tostring(v)
end

local script_globals = {}
for name, value in pairs(G) do
  if name ~= "_G" then script_globals[name] = type(value) == "table" and readonly(value) or value end
end
-- What Redis 7.0's scripts do not have (print is on its deny list; rawlen and warn are Lua 5.4's), and Lua 5.1's gcinfo.
script_globals.print, script_globals.rawlen, script_globals.warn = nil, nil, nil
script_globals.gcinfo = function() return floor(collectgarbage("count")) end
script_globals.redis = readonly(redis)
script_globals.bit = readonly(bit)
script_globals.cjson = readonly(cjson)
script_globals.struct = readonly(struct)
script_globals.cmsgpack = readonly(cmsgpack)
local rawset, getmetatable = rawset, getmetatable
script_globals.rawset = function(t, k, v)
  if protected[t] then error(readonly_error, 0) end
  return rawset(t, k, v)
end
script_globals.rawget = function(t, k) return rawget(protected[t] or t, k) end
script_globals.setmetatable = function(t, mt)
  if protected[t] then error(readonly_error, 0) end
  return setmetatable(t, mt)
end
-- The libraries have no metatable in Redis; the globals' (which raises on a missing name) is itself read-only.
script_globals.getmetatable = function(t)
  if protected[t] then
    local mt = getmetatable(t)
    return mt ~= false and mt or nil
  end
  return getmetatable(t)
end
-- A read-only view of the table lookup(name) reads: reading a missing name and writing any are errors.
local function guarded(lookup, source)
  local missing = function(_, name)
    local value = lookup(name)
    if value == nil then error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2) end
    return value
  end
  return proxy(source, missing, readonly({ __index = missing, __newindex = refuse_write }))
end
local env = guarded(function(name) return script_globals[name] end, script_globals)
script_globals._G = env

-- Lua 5.4 words a type error "attempt to call a nil value (field 'f')"; Redis's Lua 5.1 said "attempt to call field 'f'
-- (a nil value)", and clients and test suites match those words.
local function lua51_words(message)
  return (message:gsub("attempt to ([%w ]-) a (%w+) value %((%w+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end

-- Where an error was raised: the innermost line of the user's script (not of the libraries above).
local function error_handler(e)
  -- The script is ending: a killed script's hook must not raise again in here.
  dbg.sethook()
  local line = "?"
  local level = 2
  while true do
    local info = dbg.getinfo(level, "Sl")
    if not info then break end
    if info.source == "@user_script" or info.source == "@user_function" then line = info.currentline break end
    level = level + 1
  end
  local message
  if type(e) == "table" and type(rawget(e, "err")) == "string" then message = rawget(e, "err")
  else message = "ERR " .. lua51_words(tostring(e)) end
  return { err = message, line = line }
end

---------------------------------------------------------------------------------------------------- functions
-- A library's code runs once at FUNCTION LOAD, where its only global is redis, and that redis has only
-- register_function, log and the version (Redis's library API: anything else is a missing global, math included). Its
-- functions run later with a script's globals and the whole redis library; KEYS and ARGV are their arguments.
local registering
local load_api = {
  log = redis.log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
local known_flags = { ["no-writes"] = true, ["allow-oom"] = true, ["allow-stale"] = true, ["no-cluster"] = true, ["allow-cross-slot-keys"] = true }
-- luaRegisterFunctionReadArgs: (name, callback), or one table of named arguments, with Redis's errors in its order.
local function as_string(value) -- luaGetStringSds: numbers count as strings
  if type(value) == "string" then return value end
  if type(value) == "number" then return tostring(value) end
  return nil
end
load_api.register_function = function(...)
  -- A function that kept the load-time redis table cannot register more later (luaRegisterFunction's check).
  if not registering then error("redis.register_function can only be called on FUNCTION LOAD command", 0) end
  local name, callback, flags, description
  local count = select("#", ...)
  if count == 1 then
    local spec = ...
    if type(spec) ~= "table" then
      error("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).", 0)
    end
    flags = {}
    for k, v in pairs(spec) do
      if type(k) ~= "string" and type(k) ~= "number" then error("named argument key given to redis.register_function is not a string", 0) end
      local key = string.lower(tostring(k))
      if key == "function_name" then
        name = as_string(v)
        if not name then error("function_name argument given to redis.register_function must be a string", 0) end
      elseif key == "description" then
        description = as_string(v)
        if not description then error("description argument given to redis.register_function must be a string", 0) end
      elseif key == "callback" then
        if type(v) ~= "function" then error("callback argument given to redis.register_function must be a function", 0) end
        callback = v
      elseif key == "flags" then
        if type(v) ~= "table" then error("flags argument to redis.register_function must be a table representing function flags", 0) end
        flags = v
      else
        error("unknown argument given to redis.register_function", 0)
      end
    end
    if not name then error("redis.register_function must get a function name argument", 0) end
    if not callback then error("redis.register_function must get a callback argument", 0) end
  elseif count == 2 then
    name, callback, flags = as_string((...)), (select(2, ...)), {}
    if not name then error("first argument to redis.register_function must be a string", 0) end
    if type(callback) ~= "function" then error("second argument to redis.register_function must be a function", 0) end
  else
    error("wrong number of arguments to redis.register_function", 0)
  end
  local flag_list = {}
  for _, flag in ipairs(flags) do
    if type(flag) ~= "string" or not known_flags[flag] then error("unknown flag given", 0) end
    flag_list[#flag_list + 1] = flag
  end
  -- functionLibCreateFunction: Redis 7.0 words a bad function name as a bad library name.
  if not name:match("^[%w_]+$") then error("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long", 0) end
  if registering[name] then error("Function already exists in the library", 0) end
  registering[name] = { callback = callback, flags = flag_list, description = description }
end
local load_redis = guarded(function(name) return load_api[name] end, load_api)
local library_env = guarded(function(name)
  if registering then return name == "redis" and load_redis or nil end
  if name == "KEYS" or name == "ARGV" then return nil end
  return script_globals[name]
end, script_globals)
local functions = {}

-- Runs fn(...) with the error handler, checking every 100000 instructions whether SCRIPT KILL asked it to stop. Once
-- killed, the error is raised again at every instruction and line (as luaMaskCountHook does), so a script that catches
-- it with pcall is stopped all the same.
local killed_error = { err = "ERR Script killed by user with SCRIPT KILL..." }
local function raise_killed() error(killed_error) end
local function run_killable(fn, ...)
  dbg.sethook(function()
    if native_killed() then
      dbg.sethook(raise_killed, "l", 1)
      error(killed_error)
    end
  end, "", 100000)
  local ok, result = xpcall(fn, error_handler, ...)
  dbg.sethook()
  return ok, result
end

local scripts = {}
return {
  -- Runs a library's code; on success the functions it registered as {name = {flags = {...}, description = ...}}.
  load_library = function(code)
    local fn, err = compile_user_code(code, "@user_function", library_env)
    if not fn then return nil, err end
    registering = {}
    -- A library's code that runs past FUNCTION LOAD's time is stopped (luaEngineLoadHook).
    dbg.sethook(function()
      if native_load_overdue() then error({ err = "ERR FUNCTION LOAD timeout" }) end
    end, "", 100000)
    local ok, failure = pcall(fn)
    dbg.sethook()
    local registered = registering
    registering = nil
    if not ok then return nil, type(failure) == "table" and (failure.err or tostring(failure)) or "ERR " .. lua51_words(tostring(failure)) end
    if next(registered) == nil then return nil, "No functions registered" end
    return registered
  end,
  -- Makes a loaded library's functions callable (after the server checked names against other libraries).
  install = function(registered) for name, f in pairs(registered) do functions[name] = f.callback end end,
  uninstall = function(name) functions[name] = nil end,
  call_function = function(name, keys, argv)
    return run_killable(functions[name], keys, argv)
  end,
  compile = function(sha, body)
    if scripts[sha] then return nil end
    local fn, err = compile_user_code(body, "@user_script", env)
    if not fn then return err end
    scripts[sha] = fn
    return nil
  end,
  flush = function() scripts = {} end,
  run = function(sha, keys, argv)
    script_globals.KEYS, script_globals.ARGV = keys, argv
    local ok, result = run_killable(scripts[sha])
    script_globals.KEYS, script_globals.ARGV = nil, nil
    return ok, result
  end,
}
