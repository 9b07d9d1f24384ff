#!/usr/bin/env node
// fakecreds.js: a loopback container-credentials endpoint (the ECS/EKS
// AWS_CONTAINER_CREDENTIALS_FULL_URI protocol) that hands out a new key
// pair on every fetch, each expiring --ttl seconds later, so a test can
// watch ddb-sync refresh credentials in the middle of a run.
//
//   fakecreds.js --port-file FILE [--ttl SECONDS] [--token TOKEN]
//   GET /creds          credentials JSON (Authorization must equal TOKEN)
//   GET /__stats        {"fetches": n}
'use strict';
const http = require('http');
const fs = require('fs');

function arg(name, def) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const ttl = Number(arg('ttl', '3600'));
const token = arg('token', '');
let fetches = 0;

http.createServer((req, res) => {
	if (req.url === '/__stats') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		return res.end(JSON.stringify({ fetches }));
	}
	if (req.url !== '/creds') {
		res.writeHead(404);
		return res.end();
	}
	if (token && req.headers.authorization !== token) {
		res.writeHead(401);
		return res.end('{"message":"bad token"}');
	}
	fetches++;
	const exp = new Date(Date.now() + ttl * 1000).toISOString()
	    .replace(/\.\d+Z$/, 'Z');
	res.writeHead(200, { 'Content-Type': 'application/json' });
	// Letters and digits only: DynamoDB Local refuses anything else.
	res.end(JSON.stringify({ AccessKeyId: 'AKIDFAKE' + fetches,
	    SecretAccessKey: 'fakeSecretKey' + fetches,
	    Token: 'fakeSessionToken' + fetches, Expiration: exp,
	    RoleArn: 'arn:aws:iam::123456789012:role/test' }));
}).listen(0, '127.0.0.1', function () {
	fs.writeFileSync(arg('port-file') + '.tmp', this.address().port + '\n');
	fs.renameSync(arg('port-file') + '.tmp', arg('port-file'));
});
