#!/usr/bin/env node
// scanrate.js: the endpoint's parallel Scan ceiling (S): SEGMENTS segments
// read concurrently with Limit 1000, answers not parsed beyond what paging
// needs, so the client costs next to nothing. Prints items/s.
//   scanrate.js URL TABLE [SEGMENTS]
'use strict';
const http = require('http');
const [url, table, segs] = process.argv.slice(2);
const u = new URL(url);
const total = Number(segs || 8);
const agent = new http.Agent({ keepAlive: true, maxSockets: total });

function call(body) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port,
		    method: 'POST', path: '/', agent, headers: {
		    'Content-Type': 'application/x-amz-json-1.0',
		    'X-Amz-Target': 'DynamoDB_20120810.Scan',
		    'X-Amz-Date': '20150830T123600Z',
		    'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00' } },
		    (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => res.statusCode === 200 ?
			    resolve(Buffer.concat(chunks).toString('latin1')) :
			    reject(new Error('HTTP ' + res.statusCode)));
		    });
		req.on('error', reject);
		req.end(body);
	});
}

async function segment(n) {
	let start = null, items = 0;
	for (;;) {
		const body = '{"TableName":' + JSON.stringify(table) +
		    ',"Segment":' + n + ',"TotalSegments":' + total +
		    ',"Limit":1000' + (start ? ',"ExclusiveStartKey":' + start : '') + '}';
		const r = await call(body);
		// The counters and the key sit outside "Items": look only there.
		const c = /"Count":(\d+)/.exec(r.slice(r.lastIndexOf('"Count":')));
		items += c ? Number(c[1]) : 0;
		const k = r.lastIndexOf('"LastEvaluatedKey":');
		if (k < 0)
			return items;
		const rest = r.slice(k + 19);
		let depth = 0, i = 0;
		for (; i < rest.length; i++) {
			if (rest[i] === '{') depth++;
			else if (rest[i] === '}' && --depth === 0) break;
		}
		start = rest.slice(0, i + 1);
	}
}

const t0 = process.hrtime.bigint();
Promise.all([...Array(total).keys()].map(segment)).then((counts) => {
	const n = counts.reduce((a, b) => a + b, 0);
	const s = Number(process.hrtime.bigint() - t0) / 1e9;
	console.log(JSON.stringify({ items: n, seconds: s, rate: n / s }));
}, (e) => { console.error('scanrate: ' + e.message); process.exit(1); });
