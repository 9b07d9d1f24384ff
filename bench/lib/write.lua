-- write.lua: wrk script for the endpoint's BatchWriteItem ceiling (W).
-- Bodies are built from a fixed template with unique keys per request, so
-- the client costs next to nothing; the item shape (about 1 KB, mixed
-- attribute types) matches the benchmark's source items.
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

local pad = string.rep("abcdefghijklmnopqrstuvwxyz", 28)
local tail = '},"s":{"S":"Gr\\u00fc\\u00dfe \\u4e16\\u754c"},' ..
    '"n38":{"N":"12345678901234567890123456789012345678"},' ..
    '"bin":{"B":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},' ..
    '"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},' ..
    '"m":{"M":{"inner":{"L":[{"S":"x"},{"N":"1"},{"NULL":true}]},' ..
    '"flag":{"BOOL":true}}},"pad":{"S":"' .. pad .. '"}}}}'

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
		parts[i] = '{"PutRequest":{"Item":{"pk":{"S":"w' .. tid .. '-' ..
		    counter .. '-' .. i .. '"' .. tail
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
