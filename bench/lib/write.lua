-- write.lua: wrk script for the endpoint's BatchWriteItem ceiling (W).
-- Bodies are built from a fixed template with unique keys per request, so
-- the client costs next to nothing; the item is the benchmark's own.
local table_name = os.getenv("BENCH_TABLE") or "ceiling"
local counter = 0
local tid = 0
local threads = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.BatchWriteItem"
wrk.headers["X-Amz-Date"] = "20150830T123600Z"
-- DynamoDB Local checks that requests look signed, not the signature.
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" ..
    "20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, " ..
    "Signature=0000000000000000000000000000000000000000000000000000000000000000"

-- The item: BENCH_ITEM names a file holding one item exactly as the copy
-- writes them (ddb-sync-load --template), whose key "item-0" is replaced.
local f = assert(io.open(os.getenv("BENCH_ITEM"), "r"))
local template = f:read("*l")
f:close()
local head, tail = template:match('^(.-"pk":{"S":")item%-0(".*)$')
assert(head ~= nil, "template item has no pk item-0")

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

function init(args)
	tid = tid or 0
end

function request()
	local parts = {}
	counter = counter + 1
	for i = 1, 25 do
		parts[i] = '{"PutRequest":{"Item":' .. head .. 'w' .. tid ..
		    '-' .. counter .. '-' .. i .. tail .. '}}'
	end
	local body = '{"RequestItems":{"' .. table_name .. '":[' ..
	    table.concat(parts, ",") .. ']}}'
	return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
	io.write(string.format("errors %d non2xx %d\n",
	    summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout,
	    summary.errors.status))
end
