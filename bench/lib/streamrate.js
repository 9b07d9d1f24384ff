#!/usr/bin/env node
// streamrate.js: how fast the endpoint hands out a table's stream records
// (R): every shard read from TRIM_HORIZON with GetRecords(1000) until it is
// drained, answers not parsed beyond what paging needs. Prints records/s.
//   streamrate.js URL TABLE
'use strict';
const http = require('http');
const [url, table] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true });

function call(target, body) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port,
		    method: 'POST', path: '/', agent, headers: {
		    'Content-Type': 'application/x-amz-json-1.0',
		    'X-Amz-Target': target, 'X-Amz-Date': '20150830T123600Z',
		    'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00' } },
		    (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => res.statusCode === 200 ?
			    resolve(Buffer.concat(chunks).toString('latin1')) :
			    reject(new Error(target + ': HTTP ' + res.statusCode)));
		    });
		req.on('error', reject);
		req.end(JSON.stringify(body));
	});
}

async function main() {
	const t = JSON.parse(await call('DynamoDB_20120810.DescribeTable',
	    { TableName: table })).Table;
	const d = JSON.parse(await call('DynamoDBStreams_20120810.DescribeStream',
	    { StreamArn: t.LatestStreamArn })).StreamDescription;
	const t0 = process.hrtime.bigint();
	let n = 0;
	for (const sh of d.Shards) {
		let it = JSON.parse(await call(
		    'DynamoDBStreams_20120810.GetShardIterator',
		    { StreamArn: t.LatestStreamArn, ShardId: sh.ShardId,
		    ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
		while (it) {
			const r = await call('DynamoDBStreams_20120810.GetRecords',
			    { ShardIterator: it, Limit: 1000 });
			// Count records by their eventID, take the iterator from
			// the end: no full parse of the page.
			const m = r.match(/"eventID":/g);
			const got = m ? m.length : 0;
			n += got;
			const k = /"NextShardIterator":"([^"]*)"/.exec(r.slice(-4096));
			it = got > 0 && k ? k[1] : null;
		}
	}
	const s = Number(process.hrtime.bigint() - t0) / 1e9;
	console.log(JSON.stringify({ records: n, seconds: s, rate: n / s }));
}
main().catch((e) => { console.error('streamrate: ' + e.message); process.exit(1); });
