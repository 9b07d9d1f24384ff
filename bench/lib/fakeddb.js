#!/usr/bin/env node
// fakeddb.js: a fast in-memory DynamoDB endpoint that answers after a fixed
// delay, to show what ddb-sync does against a distant service (real AWS is
// milliseconds away; DynamoDB Local is microseconds away). It stores
// nothing: Scan serves a virtual table of --items items of about 1 KB in
// pages of the requested Limit, BatchWriteItem counts what it receives.
//   fakeddb.js --port-file FILE [--delay-ms 10] [--items 200000]
//   GET /__stats   {"written": n, "scanned": n, "requests": n}
'use strict';
const http = require('http');
const fs = require('fs');

function arg(name, def) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const delay = Number(arg('delay-ms', '10'));
const nitems = Number(arg('items', '200000'));
let written = 0, scanned = 0, requests = 0;

const pad = 'abcdefghijklmnopqrstuvwxyz'.repeat(30);
function item(seg, i) {
	return '{"pk":{"S":"s' + seg + '-' + i + '"},"n":{"N":"' + i + '"},' +
	    '"m":{"M":{"a":{"L":[{"S":"x"},{"BOOL":true}]}}},' +
	    '"b":{"B":"AAECAwQFBgcICQ=="},"pad":{"S":"' + pad + '"}}';
}

function reply(res, body) {
	setTimeout(() => {
		res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0',
		    'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	}, delay);
}

function scan(req, res, j) {
	const total = j.TotalSegments || 1, seg = j.Segment || 0;
	const per = Math.ceil(nitems / total);
	const start = j.ExclusiveStartKey ?
	    Number(j.ExclusiveStartKey.pk.S.split('-')[1]) + 1 : 0;
	const end = Math.min(per, start + (j.Limit || 1000));
	const items = [];
	for (let i = start; i < end; i++)
		items.push(item(seg, i));
	scanned += items.length;
	let body = '{"Items":[' + items.join(',') + '],"Count":' +
	    items.length + ',"ScannedCount":' + items.length +
	    ',"ConsumedCapacity":{"TableName":"t","CapacityUnits":' +
	    items.length / 4 + '}';
	if (end < per)
		body += ',"LastEvaluatedKey":{"pk":{"S":"s' + seg + '-' +
		    (end - 1) + '"}}';
	reply(res, body + '}');
}

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		if (req.url === '/__stats') {
			res.writeHead(200);
			return res.end(JSON.stringify({ written, scanned,
			    requests }));
		}
		requests++;
		const body = Buffer.concat(chunks).toString('latin1');
		const op = (req.headers['x-amz-target'] || '').split('.')[1];
		switch (op) {
		case 'DescribeTable':
			return reply(res, JSON.stringify({ Table: {
			    TableName: 't', TableStatus: 'ACTIVE',
			    ItemCount: nitems, TableSizeBytes: nitems * 1000,
			    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
			    AttributeDefinitions: [{ AttributeName: 'pk',
			    AttributeType: 'S' }] } }));
		case 'Scan':
			return scan(req, res, JSON.parse(body));
		case 'BatchWriteItem': {
			// Count without parsing: the fake must stay cheap.
			let n = 0, at = 0;
			while ((at = body.indexOf('"PutRequest"', at) + 1) > 0)
				n++;
			written += n;
			return reply(res, '{"UnprocessedItems":{},' +
			    '"ConsumedCapacity":[{"TableName":"t",' +
			    '"CapacityUnits":' + n + '}]}');
		}
		default:
			res.writeHead(400, { 'Content-Type':
			    'application/x-amz-json-1.0' });
			return res.end('{"__type":"UnknownOperationException"}');
		}
	});
}).listen(0, '127.0.0.1', function () {
	fs.writeFileSync(arg('port-file'), this.address().port + '\n');
});
