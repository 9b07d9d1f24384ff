#!/usr/bin/env node
// faultproxy.js: a loopback proxy in front of DynamoDB Local for ddb-sync's
// tests. It forwards every request, counts what passes (per X-Amz-Target,
// and the put/delete requests inside BatchWriteItem bodies), records request
// times, and injects faults by rule.
//
//   faultproxy.js --target http://127.0.0.1:PORT --port-file FILE
//                 [--rules FILE] [--verify-sigv4]
//
// --verify-sigv4: every request's signature is recomputed with AWS's own
// signer (@smithy/signature-v4, the one inside the AWS SDK for JavaScript)
// from what arrived on the wire and the secret in AWS_SECRET_ACCESS_KEY; a
// mismatch is answered 403 InvalidSignatureException, as AWS would, and
// counted in stats.sigv4_bad (matches in stats.sigv4_ok).
//
// Control (HTTP on the same port, path prefix /__):
//   GET  /__stats           {"targets":{"Scan":n,...},"puts":n,"deletes":n,
//                            "faults":{"throttle":n,...},
//                            "capacity":{"Scan":n,...}} (requests asking
//                            for ReturnConsumedCapacity, per target),
//                            "consumed":{"BatchWriteItem:T":{"SEC":units}},
//                            the ConsumedCapacity DynamoDB reported in
//                            successful answers, per operation and table,
//                            summed per second (SEC: Unix time in whole
//                            seconds), "fault_puts": puts in requests that
//                            were answered with a fault instead
//   GET  /__log             one JSON line per request: t (ms), target, fault
//   POST /__rules           replace the rules (JSON array, see below)
//   POST /__reset           zero the counters and the request log
//
// A rule: {"target": "BatchWriteItem" | "*", "fault": NAME, "p": 0..1,
//          "count": n (at most n times), "after": n (skip the first n
//          matching requests), "ms": delay for "slow", "frac": share of
//          items left unprocessed for "unprocessed"}
// Faults: throttle (ProvisionedThroughputExceededException), throttling
//   (ThrottlingException), limit (RequestLimitExceeded), 500, 503,
//   reset_before (close before forwarding), reset_after (forward, then
//   close without answering), slow (delay the answer), truncate (cut the
//   body), badcrc (wrong x-amz-crc32), badjson (malformed JSON body with a
//   matching crc), unprocessed (BatchWriteItem: answer 200 leaving a share
//   of the items unprocessed, forwarding only the rest), expired_token
//   (ExpiredTokenException), expired_iterator (ExpiredIteratorException),
//   trimmed (TrimmedDataAccessException), denied (AccessDeniedException;
//   "msg" replaces its message), validation (ValidationException), endless
//   (200 and a body that never ends: chunks for as long as the client
//   reads), hostile (an error whose code and message hold escape sequences,
//   CR/LF, a forged log line and the request's own X-Amz-Security-Token and
//   Authorization echoed back; "status": 400 (ValidationException, the
//   default) or 500),
//   ttl_identity (GetRecords: forward, then give the REMOVE records whose
//   Keys hold a string starting with "prefix" the userIdentity of the TTL
//   service, {"type":"Service","principalId":"dynamodb.amazonaws.com"}, and
//   answer with a matching x-amz-crc32; stats.ttl_marked counts them).
//
// --shim: answer what DynamoDB Local lacks, from the proxy's own memory, so
// that creating a table can be checked end to end: TagResource,
// UntagResource and ListTagsOfResource (tags per table, also those given
// to CreateTable), UpdateContinuousBackups and DescribeContinuousBackups
// (point-in-time recovery per table), and DescribeTable answers gain the
// SSEDescription and TableClassSummary that CreateTable asked for (DynamoDB
// Local accepts both but describes neither). stats.shim counts the calls
// answered so.
'use strict';

const http = require('http');
const fs = require('fs');
const zlib = require('zlib');

function arg(name, def) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const target = new URL(arg('target'));
const portFile = arg('port-file');
let rules = [];
if (arg('rules'))
	rules = JSON.parse(fs.readFileSync(arg('rules'), 'utf8'));

const verify = process.argv.includes('--verify-sigv4');
const shimOn = process.argv.includes('--shim');
// --shim state, by table name: {tags: [{Key, Value}], pitr, sse, cls}.
const shimTables = new Map();
let stats, reqlog;
function reset() {
	stats = { targets: {}, puts: 0, deletes: 0, faults: {}, capacity: {},
	    consumed: {}, fault_puts: 0,
	    sigv4_ok: 0, sigv4_bad: 0, sigv4_errors: [], ttl_marked: 0,
	    shim: {} };
	reqlog = [];
	for (const r of rules)
		r.seen = 0, r.used = 0;
}
reset();

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function crc32(buf) {
	return zlib.crc32 ? zlib.crc32(buf) >>> 0 : crcTable(buf);
}

let table;
function crcTable(buf) {
	if (!table) {
		table = new Uint32Array(256);
		for (let n = 0; n < 256; n++) {
			let c = n;
			for (let k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
			table[n] = c >>> 0;
		}
	}
	let c = 0xffffffff;
	for (let i = 0; i < buf.length; i++)
		c = table[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function pick(op) {
	for (const r of rules) {
		if (r.target !== '*' && r.target !== op)
			continue;
		r.seen = (r.seen || 0) + 1;
		if (r.after && r.seen <= r.after)
			continue;
		if (r.count !== undefined && (r.used || 0) >= r.count)
			continue;
		if (r.p !== undefined && Math.random() >= r.p)
			continue;
		r.used = (r.used || 0) + 1;
		return r;
	}
	return null;
}

function sendJson(res, status, obj, extra) {
	const body = Buffer.from(JSON.stringify(obj));
	res.writeHead(status, Object.assign({
		'Content-Type': 'application/x-amz-json-1.0',
		'x-amz-crc32': String(crc32(body)),
		'Content-Length': body.length }, extra || {}));
	res.end(body);
}

function awsError(res, status, code, msg) {
	sendJson(res, status, { __type: 'com.amazonaws.dynamodb.v20120810#' +
	    code, message: msg });
}

function forward(req, body, cb) {
	const headers = Object.assign({}, req.headers);
	headers.host = target.host;
	const up = http.request({ host: target.hostname, port: target.port,
	    method: req.method, path: req.url, headers, agent }, (ures) => {
		const chunks = [];
		ures.on('data', (c) => chunks.push(c));
		ures.on('end', () => cb(null, ures, Buffer.concat(chunks)));
	});
	up.on('error', (e) => cb(e));
	up.end(body);
}

function relay(res, ures, body) {
	const h = Object.assign({}, ures.headers);
	delete h['transfer-encoding'];
	h['content-length'] = body.length;
	res.writeHead(ures.statusCode, h);
	res.end(body);
}

// The capacity an answer reports, per table, in its second's window.
function countConsumed(op, ures, ubody) {
	if (ures.statusCode !== 200 || (op !== 'BatchWriteItem' &&
	    op !== 'Scan'))
		return;
	let cc;
	try {
		cc = JSON.parse(ubody.toString('utf8')).ConsumedCapacity;
	} catch (e) {
		return;
	}
	if (!cc)
		return;
	const sec = String(Math.floor(Date.now() / 1000));
	for (const c of Array.isArray(cc) ? cc : [cc]) {
		if (!c || typeof c.CapacityUnits !== 'number')
			continue;
		const k = op + ':' + c.TableName;
		const w = stats.consumed[k] = stats.consumed[k] || {};
		w[sec] = (w[sec] || 0) + c.CapacityUnits;
	}
}

function countWrites(op, body, faulted) {
	if (op !== 'BatchWriteItem')
		return;
	if (faulted) {
		try {
			const j = JSON.parse(body.toString('utf8'));
			for (const t of Object.keys(j.RequestItems || {}))
				stats.fault_puts += j.RequestItems[t].length;
		} catch (e) { /* not ours to judge */ }
		return;
	}
	try {
		const j = JSON.parse(body.toString('utf8'));
		for (const t of Object.keys(j.RequestItems || {}))
			for (const r of j.RequestItems[t]) {
				if (r.PutRequest) stats.puts++;
				if (r.DeleteRequest) stats.deletes++;
			}
	} catch (e) { /* not ours to judge */ }
}

// Recompute the signature independently; resolves to null or a reason.
async function checkSignature(req, body) {
	const { SignatureV4 } = require('@smithy/signature-v4');
	const { Hash } = require('@smithy/hash-node');
	const authz = req.headers.authorization || '';
	const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authz);
	if (!m)
		return 'malformed Authorization: ' + authz.slice(0, 80);
	const [, akid, , region, service, signed, sig] = m;
	if (akid !== process.env.AWS_ACCESS_KEY_ID)
		return 'unexpected access key id ' + akid;
	const amzDate = req.headers['x-amz-date'] || '';
	const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
	if (!d)
		return 'bad X-Amz-Date ' + amzDate;
	const date = new Date(Date.UTC(+d[1], d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
	const headers = {};
	const names = signed.split(';');
	for (const n of names) {
		if (n === 'x-amz-date' || n === 'x-amz-security-token')
			continue;
		if (req.headers[n] === undefined)
			return 'signed header ' + n + ' not sent';
		headers[n] = req.headers[n];
	}
	const token = req.headers['x-amz-security-token'];
	if (token !== undefined && !names.includes('x-amz-security-token'))
		return 'security token sent but not signed';
	const signer = new SignatureV4({ credentials: {
	    accessKeyId: akid, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
	    sessionToken: token }, region, service,
	    sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
	const [path, query] = req.url.split('?');
	const q = {};
	if (query)
		for (const kv of query.split('&')) {
			const [k, v] = kv.split('=');
			q[decodeURIComponent(k)] = decodeURIComponent(v || '');
		}
	const out = await signer.sign({ method: req.method, protocol: 'http:',
	    hostname: (req.headers.host || '').split(':')[0], path, query: q,
	    headers, body }, { signingDate: date,
	    signableHeaders: new Set(names) });
	const want = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization)[1];
	const wantSigned = /SignedHeaders=([^,]+)/.exec(out.headers.authorization)[1];
	if (wantSigned !== signed)
		return 'signed headers ' + signed + ', recomputed ' + wantSigned;
	return want === sig ? null : 'signature mismatch (' + signed + ')';
}

function handle(req, res, body) {
	if (!verify)
		return dispatch(req, res, body);
	checkSignature(req, body).then((why) => {
		if (why === null) {
			stats.sigv4_ok++;
			return dispatch(req, res, body);
		}
		stats.sigv4_bad++;
		if (stats.sigv4_errors.length < 10)
			stats.sigv4_errors.push(why);
		process.stderr.write('faultproxy: SigV4: ' + why + '\n');
		awsError(res, 403, 'InvalidSignatureException',
		    'The request signature we calculated does not match the signature you provided.');
	}, (e) => {
		stats.sigv4_bad++;
		stats.sigv4_errors.push(String(e));
		awsError(res, 403, 'InvalidSignatureException', String(e));
	});
}

function dispatch(req, res, body) {
	const tgt = req.headers['x-amz-target'] || '';
	const op = tgt.split('.').pop();
	const rule = op ? pick(op) : null;
	const fault = rule ? rule.fault : null;
	stats.targets[op] = (stats.targets[op] || 0) + 1;
	if (body.includes('"ReturnConsumedCapacity"'))
		stats.capacity[op] = (stats.capacity[op] || 0) + 1;
	reqlog.push({ t: Date.now(), target: op, fault });
	if (fault)
		stats.faults[fault] = (stats.faults[fault] || 0) + 1;
	// Writes that never reached DynamoDB: the client sends them again.
	if (['throttle', 'throttling', 'limit', '500', '503',
	    'reset_before'].includes(fault))
		countWrites(op, body, true);

	switch (fault) {
	case 'throttle':
		return awsError(res, 400, 'ProvisionedThroughputExceededException',
		    'The level of configured provisioned throughput for the table was exceeded.');
	case 'throttling':
		return awsError(res, 400, 'ThrottlingException', 'Rate exceeded');
	case 'limit':
		return awsError(res, 400, 'RequestLimitExceeded',
		    'Throughput exceeds the current throughput limit for your account.');
	case '500':
		return awsError(res, 500, 'InternalServerError', 'Internal server error');
	case '503':
		return awsError(res, 503, 'ServiceUnavailable', 'Service unavailable');
	case 'expired_token':
		return awsError(res, 400, 'ExpiredTokenException',
		    'The security token included in the request is expired');
	case 'expired_iterator':
		return awsError(res, 400, 'ExpiredIteratorException',
		    'Iterator expired');
	case 'trimmed':
		return awsError(res, 400, 'TrimmedDataAccessException',
		    'Data trimmed');
	case 'denied':
		return awsError(res, 400, 'AccessDeniedException', rule.msg ||
		    'User is not authorized to perform this action');
	case 'validation':
		return awsError(res, 400, 'ValidationException',
		    'One or more parameter values were invalid');
	case 'reset_before':
		return req.socket.destroy();
	case 'endless':
		return endless(req, res);
	case 'hostile':
		return hostile(req, res, rule.status || 400);
	case 'unprocessed':
		return unprocessed(req, res, body, rule.frac || 0.5);
	default:
		break;
	}
	if (shimOn && shim(op, req, res, body))
		return;
	countWrites(op, body);
	forward(req, body, (err, ures, ubody) => {
		if (err)
			return req.socket.destroy();
		countConsumed(op, ures, ubody);
		switch (fault) {
		case 'reset_after':
			return req.socket.destroy();
		case 'slow':
			return setTimeout(() => relay(res, ures, ubody),
			    rule.ms || 5000);
		case 'truncate': {
			const h = Object.assign({}, ures.headers);
			delete h['transfer-encoding'];
			h['content-length'] = ubody.length;
			res.writeHead(ures.statusCode, h);
			res.write(ubody.subarray(0, Math.floor(ubody.length / 2)));
			return setTimeout(() => req.socket.destroy(), 10);
		}
		case 'badcrc':
			ures.headers['x-amz-crc32'] = String(
			    (Number(ures.headers['x-amz-crc32'] || 0) + 1) >>> 0);
			return relay(res, ures, ubody);
		case 'ttl_identity':
			return ttlIdentity(res, ures, ubody, rule.prefix || '');
		case 'badjson': {
			const bad = Buffer.concat([ubody.subarray(0,
			    Math.floor(ubody.length / 2)), Buffer.from('}}]')]);
			ures.headers['x-amz-crc32'] = String(crc32(bad));
			return relay(res, ures, bad);
		}
		default:
			return relay(res, ures, ubody);
		}
	});
}

// A body that never ends: written as fast as the client reads it.
function endless(req, res) {
	const chunk = Buffer.alloc(64 * 1024, ' ');
	chunk.write('{"Items":[');
	let open = true;
	res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
	res.on('close', () => { open = false; });
	const pump = () => {
		while (open && res.write(chunk))
			chunk.fill(' ');
		if (open)
			res.once('drain', pump);
	};
	stats.endless_started = (stats.endless_started || 0) + 1;
	pump();
}

// An error answer made to hurt a log: terminal escapes, a forged line, and
// the caller's own credentials quoted back.
function hostile(req, res, status) {
	const token = req.headers['x-amz-security-token'] || '';
	const authz = req.headers.authorization || '';
	const esc = '\u001b';
	const msg = 'Bad request' + esc + '[2J' + esc + ']0;pwned\u0007\r\n' +
	    '2026/01/01 00:00:00 [forged] \u21e8 [line]: Backfill complete. ' +
	    '0 items written over 0s\r\nX-Amz-Security-Token: ' + token +
	    ' Authorization: ' + authz + ' bare ' + token + ' \u202eend';
	const code = status >= 500 ? 'InternalServerError' :
	    'ValidationException';
	sendJson(res, status, { __type: 'com.amazonaws.dynamodb.v20120810#' +
	    code, message: msg });
}

// Mark REMOVE records as the TTL service's when a key starts with prefix.
function ttlIdentity(res, ures, ubody, prefix) {
	let j;
	try {
		j = JSON.parse(ubody.toString('utf8'));
	} catch (e) {
		return relay(res, ures, ubody);
	}
	if (ures.statusCode !== 200 || !Array.isArray(j.Records))
		return relay(res, ures, ubody);
	for (const r of j.Records) {
		if (r.eventName !== 'REMOVE' || !r.dynamodb || !r.dynamodb.Keys)
			continue;
		const keys = Object.values(r.dynamodb.Keys);
		if (!keys.some((v) => typeof v.S === 'string' &&
		    v.S.startsWith(prefix)))
			continue;
		r.userIdentity = { type: 'Service',
		    principalId: 'dynamodb.amazonaws.com' };
		stats.ttl_marked++;
	}
	const out = Buffer.from(JSON.stringify(j));
	ures.headers['x-amz-crc32'] = String(crc32(out));
	return relay(res, ures, out);
}

// --shim: the control-plane calls DynamoDB Local does not have. Returns
// true when the request was answered here.
function shimState(name) {
	if (!shimTables.has(name))
		shimTables.set(name, { tags: [], pitr: false });
	return shimTables.get(name);
}

function tableOfArn(arn) {
	const m = /:table\/([^/]+)$/.exec(arn || '');
	return m ? m[1] : null;
}

function shim(op, req, res, body) {
	let j = {};
	try {
		j = JSON.parse(body.toString('utf8') || '{}');
	} catch (e) {
		return false;
	}
	const count = () => (stats.shim[op] = (stats.shim[op] || 0) + 1);
	switch (op) {
	case 'TagResource':
	case 'UntagResource':
	case 'ListTagsOfResource': {
		const name = tableOfArn(j.ResourceArn);
		if (!name) {
			awsError(res, 400, 'ValidationException',
			    'Invalid TableArn');
			return true;
		}
		count();
		const st = shimState(name);
		if (op === 'TagResource') {
			for (const t of j.Tags || []) {
				st.tags = st.tags.filter((x) => x.Key !== t.Key);
				st.tags.push(t);
			}
			sendJson(res, 200, {});
		} else if (op === 'UntagResource') {
			st.tags = st.tags.filter((x) =>
			    !(j.TagKeys || []).includes(x.Key));
			sendJson(res, 200, {});
		} else
			sendJson(res, 200, { Tags: st.tags });
		return true;
	}
	case 'UpdateContinuousBackups':
	case 'DescribeContinuousBackups': {
		count();
		const st = shimState(j.TableName);
		if (op === 'UpdateContinuousBackups')
			st.pitr = !!(j.PointInTimeRecoverySpecification || {})
			    .PointInTimeRecoveryEnabled;
		sendJson(res, 200, { ContinuousBackupsDescription: {
		    ContinuousBackupsStatus: 'ENABLED',
		    PointInTimeRecoveryDescription: {
		    PointInTimeRecoveryStatus: st.pitr ? 'ENABLED' :
		    'DISABLED' } } });
		return true;
	}
	case 'CreateTable':
		// Forwarded; what Local ignores is remembered on success.
		forward(req, body, (err, ures, ubody) => {
			if (err)
				return req.socket.destroy();
			if (ures.statusCode === 200) {
				count();
				shimTables.set(j.TableName, { tags: j.Tags || [],
				    pitr: false, sse: j.SSESpecification,
				    cls: j.TableClass });
			}
			relay(res, ures, ubody);
		});
		return true;
	case 'DeleteTable':
		shimTables.delete(j.TableName);
		return false;
	case 'DescribeTable':
		forward(req, body, (err, ures, ubody) => {
			if (err)
				return req.socket.destroy();
			const st = shimTables.get(j.TableName);
			if (ures.statusCode !== 200 || !st)
				return relay(res, ures, ubody);
			const d = JSON.parse(ubody.toString('utf8'));
			if (st.sse && st.sse.Enabled) {
				count();
				d.Table.SSEDescription = { Status: 'ENABLED',
				    SSEType: 'KMS', KMSMasterKeyArn:
				    st.sse.KMSMasterKeyId || 'arn:aws:kms:' +
				    'ddblocal:000000000000:key/aws-managed' };
			}
			if (st.cls)
				d.Table.TableClassSummary = {
				    TableClass: st.cls };
			const out = Buffer.from(JSON.stringify(d));
			ures.headers['x-amz-crc32'] = String(crc32(out));
			relay(res, ures, out);
		});
		return true;
	default:
		return false;
	}
}

// Write only part of a batch and answer with the rest as UnprocessedItems,
// as DynamoDB does under throttling.
function unprocessed(req, res, body, frac) {
	let j;
	try {
		j = JSON.parse(body.toString('utf8'));
	} catch (e) {
		return awsError(res, 400, 'SerializationException', 'bad json');
	}
	const keep = {}, left = {};
	let nkeep = 0;
	for (const t of Object.keys(j.RequestItems || {})) {
		const reqs = j.RequestItems[t];
		const n = Math.max(1, Math.floor(reqs.length * frac));
		left[t] = reqs.slice(0, n);
		if (reqs.length > n) {
			keep[t] = reqs.slice(n);
			nkeep += reqs.length - n;
		}
	}
	const answer = () => sendJson(res, 200, { UnprocessedItems: left,
	    ConsumedCapacity: [] });
	if (nkeep === 0)
		return answer();
	const fwd = Buffer.from(JSON.stringify(Object.assign({}, j,
	    { RequestItems: keep })));
	const headers = Object.assign({}, req.headers);
	headers['content-length'] = fwd.length;
	countWrites('BatchWriteItem', fwd);
	forward({ method: req.method, url: req.url, headers }, fwd, (err) => {
		if (err)
			return req.socket.destroy();
		answer();
	});
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		if (req.url.startsWith('/__')) {
			if (req.url === '/__stats') {
				res.writeHead(200, { 'Content-Type': 'application/json' });
				return res.end(JSON.stringify(stats));
			}
			if (req.url === '/__log') {
				res.writeHead(200, { 'Content-Type': 'text/plain' });
				return res.end(reqlog.map((r) =>
				    JSON.stringify(r)).join('\n') + '\n');
			}
			if (req.url === '/__rules' && req.method === 'POST') {
				rules = JSON.parse(body.toString('utf8'));
				res.writeHead(200);
				return res.end('ok\n');
			}
			if (req.url === '/__reset' && req.method === 'POST') {
				reset();
				res.writeHead(200);
				return res.end('ok\n');
			}
			res.writeHead(404);
			return res.end();
		}
		handle(req, res, body);
	});
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
	const port = server.address().port;
	if (portFile)
		fs.writeFileSync(portFile + '.tmp', String(port) + '\n'),
		fs.renameSync(portFile + '.tmp', portFile);
	else
		console.log(port);
});
