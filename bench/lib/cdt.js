#!/usr/bin/env node
// cdt.js: runs copy-dynamodb-table (npm), the tool ddb-sync is compared
// with, against the same endpoint and tables; prints its time, CPU and
// peak memory as JSON.
//   cdt.js URL SOURCE DESTINATION
'use strict';
const [url, src, dst] = process.argv.slice(2);
const copy = require('copy-dynamodb-table').copy;
const config = { endpoint: url, region: process.env.AWS_REGION || 'us-east-1',
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, maxRetries: 10 };
const t0 = process.hrtime.bigint();
copy({ config, source: { tableName: src }, destination: { tableName: dst },
    log: false, create: false }, (err, result) => {
	if (err) {
		console.error('copy-dynamodb-table: ' + (err.message || err));
		process.exit(1);
	}
	const cpu = process.cpuUsage();
	console.log(JSON.stringify({ items: result.count !== undefined ?
	    result.count : null,
	    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
	    cpu: (cpu.user + cpu.system) / 1e6,
	    rss_kib: process.resourceUsage().maxRSS }));
});
