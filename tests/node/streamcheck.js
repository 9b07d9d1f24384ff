#!/usr/bin/env node
// streamcheck.js: checks that the Streams simulator (streamsim.js) behaves
// like AWS, seen through an independent client: the AWS SDK for
// JavaScript's DynamoDB Streams client, plus raw HTTP where the SDK hides
// the wire (headers, CRC, number types). Each command asserts one group of
// properties and exits 0, or 1 with "streamcheck: FAIL: ..." on stderr.
// The control interface (/__config, /__sync, /__shards, ...) is used to set
// conditions up and as the truth to compare listings with, never as the
// thing under test.
//
//   streamcheck.js --sim URL [--ddbl URL] COMMAND TABLE [OPTIONS]
//   tree T [--min N]          DescribeStream paging visits every listed
//                             shard once, at most 100 (or Limit) a page,
//                             LastEvaluatedShardId iff more follow
//   records T --ddbl URL [--min-rollovers N]
//                             every record of DynamoDB Local's own stream
//                             is in the tree exactly once, unchanged but for
//                             SequenceNumber and ApproximateCreationDateTime,
//                             per-key order kept along one lineage; closed
//                             shards (also empty ones) end without a
//                             NextShardIterator (rollovers must be paused)
//   iterators T               TRIM_HORIZON, AT/AFTER_SEQUENCE_NUMBER,
//                             LATEST on a closed shard, Limit, and the
//                             errors for bad arguments
//   latest T                  LATEST on open shards sees only what is
//                             written afterwards (rollovers paused)
//   expire T                  ExpiredIteratorException: on demand, after N
//                             calls, and after iterator_ttl_ms
//   skew T --skew MS          the Date header of table and Streams answers
//                             and ApproximateCreationDateTime are MS off the
//                             host's clock
//   wire T                    x-amz-crc32, x-amzn-RequestId and Date on
//                             answers and error answers
//   trim T                    after a short retention: trimmed positions
//                             give TrimmedDataAccessException, fully trimmed
//                             closed shards leave the listing
//   trim-next T               a child whose first records were trimmed
//                             before anyone read it: AT its
//                             StartingSequenceNumber is refused as trimmed
//   modes T                   describe_loop, unknown_parent, duplicate_shard
//   hooks T                   TTL deletions' userIdentity, max_readers,
//                             empty_page_p, end_page separate
//   delays T --ms MS          Scan and BatchWriteItem answers are held MS
//
// Credentials and region come from the environment (the harness sets them).
'use strict';

const http = require('http');
const zlib = require('zlib');
const {
	DynamoDBStreamsClient, DescribeStreamCommand, GetShardIteratorCommand,
	GetRecordsCommand,
} = require('@aws-sdk/client-dynamodb-streams');
const {
	DynamoDBClient, DescribeTableCommand, PutItemCommand, ScanCommand,
	BatchWriteItemCommand, DeleteItemCommand,
} = require('@aws-sdk/client-dynamodb');

class CheckFailed extends Error {}

function check(cond, msg) {
	if (!cond)
		throw new CheckFailed(msg);
}

function info(msg) {
	process.stdout.write(`streamcheck: ${msg}\n`);
}

function parseArgs(argv) {
	const opts = {}, pos = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i].startsWith('--')) {
			if (i + 1 >= argv.length)
				usage(`${argv[i]} needs a value`);
			opts[argv[i].slice(2)] = argv[++i];
		} else {
			pos.push(argv[i]);
		}
	}
	return { opts, pos };
}

function usage(msg) {
	process.stderr.write(`streamcheck: ${msg}\nusage: streamcheck.js ` +
	    '--sim URL [--ddbl URL] tree|records|iterators|latest|expire|' +
	    'skew|wire|trim|trim-next|modes|hooks|delays TABLE [OPTIONS]\n');
	process.exit(2);
}

const { opts, pos } = parseArgs(process.argv.slice(2));
if (!opts.sim)
	usage('--sim is required');
const SIM = new URL(opts.sim);
const region = process.env.AWS_REGION || 'us-east-1';
const sdkOpts = (endpoint) => ({ endpoint, region, maxAttempts: 1 });
const streams = new DynamoDBStreamsClient(sdkOpts(opts.sim));
const ddb = new DynamoDBClient(sdkOpts(opts.sim));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Any SDK object as canonical text (binary as base64).
function canon(v) {
	return JSON.stringify(v, (k, x) => x instanceof Uint8Array ?
	    { $b: Buffer.from(x).toString('base64') } : x);
}

function keyOf(rec) {
	const k = rec.dynamodb.Keys;
	const o = {};
	for (const n of Object.keys(k).sort())
		o[n] = k[n];
	return canon(o);
}

function seqCmp(a, b) {
	const x = BigInt(a), y = BigInt(b);
	return x < y ? -1 : x > y ? 1 : 0;
}

// A call that must fail with the named error. fn makes the call; a 500
// is asked again, as any client would (the self-test puts faults between
// the simulator and DynamoDB Local).
async function refused(what, fn, name) {
	let got;
	for (let i = 0; i < 20; i++) {
		try {
			await fn();
			got = 'success';
		} catch (e) {
			got = e.name;
			if (got === name)
				return e;
			if (got === 'InternalServerError')
				continue;
		}
		break;
	}
	throw new CheckFailed(`${what}: got ${got}, want ${name}`);
}

// ------------------------------------------------------------ helpers

function httpCall(method, path, body, headers) {
	return new Promise((resolve, reject) => {
		const b = Buffer.from(body || '');
		const q = http.request({ host: SIM.hostname, port: SIM.port,
		    method, path, headers: Object.assign({
		    'Content-Length': b.length }, headers || {}) }, (r) => {
			const chunks = [];
			r.on('data', (c) => chunks.push(c));
			r.on('end', () => resolve({ status: r.statusCode,
			    headers: r.headers, body: Buffer.concat(chunks) }));
		});
		q.on('error', reject);
		q.end(b);
	});
}

async function ctl(method, path, body) {
	const r = await httpCall(method, path, body === undefined ? '' :
	    JSON.stringify(body));
	check(r.status === 200, `${method} ${path}: ${r.status} ` +
	    r.body.toString());
	return JSON.parse(r.body.toString());
}

// A raw API call, signed the way DynamoDB Local accepts (it checks the
// form, not the signature).
async function raw(target, input) {
	let r;
	for (let i = 0; i < 20; i++) {
		r = await rawOnce(target, input);
		if (r.status !== 500)
			break;
	}
	return r;
}

async function rawOnce(target, input) {
	const r = await httpCall('POST', '/', JSON.stringify(input), {
		'Content-Type': 'application/x-amz-json-1.0',
		'X-Amz-Target': target,
		'X-Amz-Date': '20150830T123600Z',
		'Authorization': 'AWS4-HMAC-SHA256 Credential=' +
		    process.env.AWS_ACCESS_KEY_ID + '/20150830/' + region +
		    '/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
	});
	r.json = JSON.parse(r.body.toString('utf8'));
	return r;
}

const S = 'DynamoDBStreams_20120810.';

async function streamArn(table) {
	const d = await ddb.send(new DescribeTableCommand({ TableName: table }));
	check(d.Table.LatestStreamArn, `table ${table} has no stream`);
	return d.Table.LatestStreamArn;
}

async function truth(arn, extra) {
	const v = await ctl('GET', '/__shards?stream=' + encodeURIComponent(arn) +
	    (extra || ''));
	check(v.length === 1, `the simulator does not know stream ${arn}`);
	return v[0];
}

// Every page of DescribeStream, with the checks that hold for any page.
async function listAll(arn, limit, client) {
	const pages = [];
	let start;
	for (let n = 0; ; n++) {
		check(n < 100000, 'DescribeStream paging does not end');
		const d = (await (client || streams).send(new DescribeStreamCommand({
		    StreamArn: arn, Limit: limit,
		    ExclusiveStartShardId: start }))).StreamDescription;
		check(d.StreamArn === arn && d.StreamStatus === 'ENABLED' &&
		    d.KeySchema && d.StreamViewType && d.TableName,
		    'DescribeStream: StreamDescription incomplete');
		check(d.Shards.length <= (limit || 100),
		    `a page of ${d.Shards.length} shards (Limit ${limit || 100})`);
		pages.push(d.Shards);
		if (!d.LastEvaluatedShardId)
			break;
		check(d.Shards.length > 0 && d.LastEvaluatedShardId ===
		    d.Shards[d.Shards.length - 1].ShardId,
		    'LastEvaluatedShardId is not the page\'s last shard');
		start = d.LastEvaluatedShardId;
	}
	return pages;
}

function flat(pages) {
	return [].concat(...pages);
}

async function iterator(arn, shard, type, seq) {
	const r = await streams.send(new GetShardIteratorCommand({
	    StreamArn: arn, ShardId: shard, ShardIteratorType: type,
	    SequenceNumber: seq }));
	check(typeof r.ShardIterator === 'string' && r.ShardIterator.length <=
	    2048, 'GetShardIterator: no ShardIterator or longer than 2048');
	return r.ShardIterator;
}

async function page(it, limit) {
	return streams.send(new GetRecordsCommand({ ShardIterator: it,
	    Limit: limit }));
}

// Read a shard from an iterator: a closed shard to its end (no
// NextShardIterator), an open one to its tip (an empty page, which must
// carry a NextShardIterator).
async function readShard(it, closed) {
	const recs = [];
	for (let n = 0; ; n++) {
		check(n < 100000, 'a shard whose reading never ends');
		const r = await page(it);
		recs.push(...r.Records);
		if (!r.NextShardIterator)
			return { recs, ended: true };
		if (r.Records.length === 0 && !closed)
			return { recs, ended: false, next: r.NextShardIterator };
		it = r.NextShardIterator;
	}
}

async function firstAt(arn, shard, type, seq) {
	const r = await page(await iterator(arn, shard, type, seq), 1);
	return r;
}

async function putItems(prefix, n) {
	for (let i = 0; i < n; i++)
		await ddb.send(new PutItemCommand({ TableName: TABLE,
		    Item: { pk: { S: `${prefix}${i}` }, n: { N: String(i) } } }));
}

async function sync() {
	await ctl('POST', '/__sync');
}

// ------------------------------------------------------------ commands

async function cmdTree(arn) {
	const t = await truth(arn);
	const want = t.shards.map((s) => s.id);
	check(want.length >= Number(opts.min || 0),
	    `${want.length} shards listed, want at least ${opts.min}`);
	for (const limit of [undefined, 37, 100]) {
		const pages = await listAll(arn, limit);
		const got = flat(pages).map((s) => s.ShardId);
		const seen = new Set();
		for (const id of got) {
			check(!seen.has(id), `shard ${id} listed twice`);
			seen.add(id);
		}
		check(got.length === want.length && want.every((id) =>
		    seen.has(id)), `paging (Limit ${limit}) listed ` +
		    `${got.length} shards, the stream has ${want.length}`);
		const per = limit || 100;
		check(pages.length === Math.max(1, Math.ceil(want.length / per)),
		    `${pages.length} pages of ${per} for ${want.length} shards`);
		info(`Limit ${limit || '(none)'}: ${got.length} shards in ` +
		    `${pages.length} pages, each once`);
	}
	const all = flat(await listAll(arn));
	const index = new Map(all.map((s, i) => [s.ShardId, i]));
	for (const s of all) {
		if (s.ParentShardId && index.has(s.ParentShardId))
			check(index.get(s.ParentShardId) < index.get(s.ShardId),
			    `parent ${s.ParentShardId} listed after its child`);
		check(/^shardId-[0-9]{20}-[0-9a-f]{8}$/.test(s.ShardId) &&
		    s.ShardId.length >= 28 && s.ShardId.length <= 65,
		    `shard id ${s.ShardId} does not look like AWS's`);
		const r = s.SequenceNumberRange;
		check(/^[0-9]{21,40}$/.test(r.StartingSequenceNumber),
		    `StartingSequenceNumber ${r.StartingSequenceNumber}`);
		if (r.EndingSequenceNumber)
			check(seqCmp(r.EndingSequenceNumber,
			    r.StartingSequenceNumber) >= 0,
			    `shard ${s.ShardId} ends before it starts`);
	}
	// The last 37 shards are one page with no LastEvaluatedShardId.
	const k = all.length - 37;
	check(k > 0, 'too few shards for the last-page check');
	let d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn,
	    Limit: 37, ExclusiveStartShardId: all[k - 1].ShardId })))
	    .StreamDescription;
	check(d.Shards.length === 37 && !d.LastEvaluatedShardId &&
	    d.Shards[0].ShardId === all[k].ShardId,
	    'a last page of exactly Limit shards must not say that more follow');
	// A start id that is not (or no longer) listed: paging goes on after
	// it, as if it were.
	d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn,
	    Limit: 5, ExclusiveStartShardId: all[k - 1].ShardId + '0' })))
	    .StreamDescription;
	check(d.Shards[0].ShardId === all[k].ShardId,
	    'ExclusiveStartShardId of a shard not listed: wrong page');
	await refused('DescribeStream Limit 101', () => streams.send(
	    new DescribeStreamCommand({ StreamArn: arn, Limit: 101 })),
	    'ValidationException');
	await refused('DescribeStream of an unknown stream', () => streams.send(
	    new DescribeStreamCommand({ StreamArn: arn + 'x' })),
	    'ResourceNotFoundException');
	// ShardFilter CHILD_SHARDS: the children of a split parent.
	const split = t.shards.find((s) => s.children.length === 2);
	check(split, 'no split shard in the stream');
	d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn,
	    ShardFilter: { Type: 'CHILD_SHARDS', ShardId: split.id } })))
	    .StreamDescription;
	check(d.Shards.length === 2 && d.Shards.every((s) =>
	    s.ParentShardId === split.id), 'ShardFilter CHILD_SHARDS');
	info('shard ids, ranges, lineage order, last page, filters: ok');
}

// DynamoDB Local's own stream, read directly: the truth for records.
async function ddblRecords(arn) {
	const c = new DynamoDBStreamsClient(sdkOpts(opts.ddbl));
	const shards = flat(await listAll(arn, undefined, c));
	const done = new Set(), out = [];
	// Parents first, as a reader must.
	while (done.size < shards.length) {
		let progress = false;
		for (const s of shards) {
			if (done.has(s.ShardId) || (s.ParentShardId &&
			    shards.some((p) => p.ShardId === s.ParentShardId) &&
			    !done.has(s.ParentShardId)))
				continue;
			let it = (await c.send(new GetShardIteratorCommand({
			    StreamArn: arn, ShardId: s.ShardId,
			    ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
			while (it) {
				const r = await c.send(new GetRecordsCommand({
				    ShardIterator: it }));
				out.push(...r.Records);
				if (r.Records.length === 0)
					break;
				it = r.NextShardIterator;
			}
			done.add(s.ShardId);
			progress = true;
		}
		check(progress, 'DynamoDB Local\'s shard lineage has a loop');
	}
	return out;
}

async function cmdRecords(arn) {
	if (!opts.ddbl)
		usage('records needs --ddbl URL');
	const want = await ddblRecords(arn);
	const shards = flat(await listAll(arn));
	const byId = new Map(shards.map((s) => [s.ShardId, s]));
	const depth = (s) => {
		let d = 0;
		for (let p = s; p.ParentShardId && byId.has(p.ParentShardId);
		    p = byId.get(p.ParentShardId))
			d++;
		return d;
	};
	const got = [];		/* {rec, shard, i, depth} */
	let closedEmpty = 0, closedFull = 0, aboveStart = 0;
	for (const s of shards) {
		const range = s.SequenceNumberRange;
		const closed = !!range.EndingSequenceNumber;
		const r = await readShard(await iterator(arn, s.ShardId,
		    'TRIM_HORIZON'), closed);
		check(r.ended === closed, `shard ${s.ShardId}: ` + (closed ?
		    'closed, but its end has a NextShardIterator' :
		    'open, but a page has no NextShardIterator'));
		let prev = null;
		r.recs.forEach((rec, i) => {
			const seq = rec.dynamodb.SequenceNumber;
			check(/^[0-9]{21,40}$/.test(seq), `sequence number ${seq}`);
			check(seqCmp(seq, range.StartingSequenceNumber) >= 0,
			    `record ${seq} before its shard's start`);
			if (closed)
				check(seqCmp(seq, range.EndingSequenceNumber) <= 0,
				    `record ${seq} after its shard's end`);
			check(prev === null || seqCmp(seq, prev) > 0,
			    `sequence numbers not increasing in ${s.ShardId}`);
			prev = seq;
			got.push({ rec, shard: s, i, depth: depth(s) });
		});
		if (closed && r.recs.length === 0) {
			closedEmpty++;
			check(range.EndingSequenceNumber ===
			    range.StartingSequenceNumber,
			    `empty shard ${s.ShardId}: EndingSequenceNumber is ` +
			    'not its StartingSequenceNumber');
		} else if (closed) {
			closedFull++;
			check(range.EndingSequenceNumber === prev,
			    `shard ${s.ShardId}: EndingSequenceNumber is not ` +
			    'its last record\'s');
		}
		if (r.recs.length > 0 && seqCmp(r.recs[0].dynamodb.SequenceNumber,
		    range.StartingSequenceNumber) > 0)
			aboveStart++;
	}
	// Every record exactly once, unchanged but for the two fields.
	const byEvent = new Map();
	for (const g of got) {
		check(!byEvent.has(g.rec.eventID),
		    `record ${g.rec.eventID} twice in the tree`);
		byEvent.set(g.rec.eventID, g);
	}
	check(got.length === want.length, `the tree holds ${got.length} ` +
	    `records, DynamoDB Local's stream ${want.length}`);
	for (const w of want) {
		const g = byEvent.get(w.eventID);
		check(g, `record ${w.eventID} (${w.eventName} ${keyOf(w)}) ` +
		    'is not in the tree');
		const a = Object.assign({}, g.rec, { dynamodb: Object.assign({},
		    g.rec.dynamodb) });
		const b = Object.assign({}, w, { dynamodb: Object.assign({},
		    w.dynamodb) });
		const simT = a.dynamodb.ApproximateCreationDateTime.getTime();
		const ownT = b.dynamodb.ApproximateCreationDateTime.getTime();
		check(simT >= ownT && simT <= ownT + 59000 && simT % 1000 === 0,
		    `ApproximateCreationDateTime ${simT} not in [${ownT}, ` +
		    `${ownT} + 59 s] or not whole seconds`);
		for (const x of [a, b]) {
			delete x.dynamodb.SequenceNumber;
			delete x.dynamodb.ApproximateCreationDateTime;
		}
		check(canon(a) === canon(b), `record ${w.eventID} changed: ` +
		    `${canon(a)} != ${canon(b)}`);
	}
	// Per key: one lineage, and the write order.
	const perKey = new Map();
	for (const g of got) {
		const k = keyOf(g.rec);
		if (!perKey.has(k))
			perKey.set(k, []);
		perKey.get(k).push(g);
	}
	const isAncestor = (a, b) => {
		for (let p = b; p; p = byId.get(p.ParentShardId))
			if (p === a)
				return true;
		return false;
	};
	let lineages = 0;
	for (const [k, list] of perKey) {
		list.sort((x, y) => x.depth - y.depth || x.i - y.i);
		for (let j = 1; j < list.length; j++) {
			check(isAncestor(list[j - 1].shard, list[j].shard),
			    `key ${k}: records in shards ${list[j - 1].shard.ShardId}` +
			    ` and ${list[j].shard.ShardId}, not one lineage`);
			check(seqCmp(list[j].rec.dynamodb.SequenceNumber,
			    list[j - 1].rec.dynamodb.SequenceNumber) > 0,
			    `key ${k}: sequence numbers go back along the lineage`);
		}
		if (new Set(list.map((g) => g.shard)).size > 1)
			lineages++;
		const order = want.filter((w) => keyOf(w) === k)
		    .map((w) => w.eventID);
		check(canon(order) === canon(list.map((g) => g.rec.eventID)),
		    `key ${k}: order along the lineage differs from the writes`);
	}
	check(closedEmpty > 0 && closedFull > 0,
	    `want closed shards with and without records (${closedFull}, ` +
	    `${closedEmpty})`);
	check(lineages > 0, 'no key crossed a rollover');
	check(aboveStart > 0, 'no shard whose first record is above its start');
	info(`${got.length} records in ${shards.length} shards (${closedFull} ` +
	    `closed with records, ${closedEmpty} closed empty), each once, ` +
	    `${perKey.size} keys in write order, ${lineages} across rollovers`);
}

// A closed shard with at least n records and what it holds.
async function closedWith(arn, n) {
	for (const s of flat(await listAll(arn))) {
		if (!s.SequenceNumberRange.EndingSequenceNumber)
			continue;
		const r = await readShard(await iterator(arn, s.ShardId,
		    'TRIM_HORIZON'), true);
		if (r.recs.length >= n)
			return { s, recs: r.recs.map((x) =>
			    x.dynamodb.SequenceNumber) };
	}
	throw new CheckFailed(`no closed shard with ${n} records`);
}

function firstSeq(r) {
	return r.Records.length ? r.Records[0].dynamodb.SequenceNumber : null;
}

async function cmdIterators(arn) {
	const { s, recs } = await closedWith(arn, 3);
	const id = s.ShardId, range = s.SequenceNumberRange;
	const last = recs[recs.length - 1];
	let r = await firstAt(arn, id, 'TRIM_HORIZON');
	check(firstSeq(r) === recs[0] && r.Records.length === 1 &&
	    r.NextShardIterator, 'TRIM_HORIZON, Limit 1');
	r = await firstAt(arn, id, 'AT_SEQUENCE_NUMBER', recs[1]);
	check(firstSeq(r) === recs[1], 'AT_SEQUENCE_NUMBER');
	r = await firstAt(arn, id, 'AFTER_SEQUENCE_NUMBER', recs[1]);
	check(firstSeq(r) === recs[2], 'AFTER_SEQUENCE_NUMBER');
	r = await firstAt(arn, id, 'AT_SEQUENCE_NUMBER',
	    range.StartingSequenceNumber);
	check(firstSeq(r) === recs[0], 'AT_SEQUENCE_NUMBER of the start');
	r = await firstAt(arn, id, 'AT_SEQUENCE_NUMBER',
	    range.EndingSequenceNumber);
	check(firstSeq(r) === last, 'AT_SEQUENCE_NUMBER of the end');
	r = await page(await iterator(arn, id, 'AFTER_SEQUENCE_NUMBER', last));
	check(r.Records.length === 0 && !r.NextShardIterator,
	    'AFTER the last record of a closed shard: the end');
	r = await page(await iterator(arn, id, 'LATEST'));
	check(r.Records.length === 0 && !r.NextShardIterator,
	    'LATEST on a closed shard: the end');
	// The page that reads the last records already says it is the end.
	r = await page(await iterator(arn, id, 'AT_SEQUENCE_NUMBER', last), 5);
	check(r.Records.length === 1 && !r.NextShardIterator,
	    'the last page of a closed shard has no NextShardIterator');
	const before = String(BigInt(range.StartingSequenceNumber) - 1n);
	const after = String(BigInt(range.EndingSequenceNumber) + 1n);
	await refused('AT a number below the shard\'s range', () => iterator(arn, id,
	    'AT_SEQUENCE_NUMBER', before), 'ValidationException');
	await refused('AFTER a number above a closed shard\'s range',
	    () => iterator(arn, id, 'AFTER_SEQUENCE_NUMBER', after),
	    'ValidationException');
	await refused('AT a number that is not one', () => iterator(arn, id,
	    'AT_SEQUENCE_NUMBER', '12ab'), 'ValidationException');
	await refused('AT without a number', () => iterator(arn, id,
	    'AT_SEQUENCE_NUMBER'), 'ValidationException');
	await refused('an unknown iterator type', () => iterator(arn, id, 'OLDEST'),
	    'ValidationException');
	await refused('an unknown shard', () => iterator(arn,
	    'shardId-00000000000000000001-00000000', 'TRIM_HORIZON'),
	    'ResourceNotFoundException');
	await refused('an unknown stream', () => iterator(arn + 'x', id,
	    'TRIM_HORIZON'), 'ResourceNotFoundException');
	const it = await iterator(arn, id, 'TRIM_HORIZON');
	await refused('GetRecords Limit 1001', () => page(it, 1001),
	    'ValidationException');
	await refused('GetRecords Limit 0', () => page(it, 0), 'ValidationException');
	await refused('GetRecords with a made-up iterator',
	    () => page(arn + '|1|eyJpIjoiMSJ9'), 'ValidationException');
	// An iterator can be used again (AWS's are not single-use).
	r = await page(it, 2);
	const again = await page(it, 2);
	check(canon(r.Records) === canon(again.Records) && r.Records.length === 2,
	    'an iterator read twice gives the same page');
	info(`iterators on ${id} (${recs.length} records): ok`);
}

async function cmdLatest(arn) {
	const open = flat(await listAll(arn)).filter((s) =>
	    !s.SequenceNumberRange.EndingSequenceNumber);
	check(open.length > 0, 'no open shard');
	const its = [];
	for (const s of open) {
		const r = await page(await iterator(arn, s.ShardId, 'LATEST'));
		check(r.Records.length === 0 && r.NextShardIterator,
		    'LATEST on an open shard: an empty page that goes on');
		its.push(r.NextShardIterator);
	}
	const key = 'latest-' + Date.now();
	await ddb.send(new PutItemCommand({ TableName: TABLE,
	    Item: { pk: { S: key } } }));
	await sync();
	let seen = 0;
	for (const it of its) {
		const r = await page(it);
		check(r.NextShardIterator, 'an open shard\'s page without ' +
		    'NextShardIterator');
		for (const rec of r.Records) {
			check(rec.dynamodb.Keys.pk.S === key,
			    `LATEST saw an older record ${keyOf(rec)}`);
			seen++;
		}
	}
	check(seen === 1, `the new record was seen ${seen} times after LATEST`);
	info(`LATEST on ${open.length} open shards: only the new record, once`);
}

async function cmdExpire(arn) {
	const open = flat(await listAll(arn)).filter((s) =>
	    !s.SequenceNumberRange.EndingSequenceNumber);
	check(open.length >= 2, 'want two open shards (rollovers paused)');
	const [a, b] = open;
	const itA = await iterator(arn, a.ShardId, 'TRIM_HORIZON');
	const itB = await iterator(arn, b.ShardId, 'TRIM_HORIZON');
	await ctl('POST', '/__expire_iterators', { shard: a.ShardId });
	await refused('an iterator expired on demand', () => page(itA),
	    'ExpiredIteratorException');
	await page(itB);
	await page(await iterator(arn, a.ShardId, 'TRIM_HORIZON'));
	info('expired on demand: that shard\'s iterators only, new ones work');

	// The third call on shard a after this gets the error, mid-chain.
	await ctl('POST', '/__expire_iterators', { shard: a.ShardId,
	    after_calls: 2 });
	let it = await iterator(arn, a.ShardId, 'TRIM_HORIZON');
	for (let i = 0; i < 2; i++)
		it = (await page(it, 1)).NextShardIterator;
	await refused('an iterator expired after 2 calls', () => page(it),
	    'ExpiredIteratorException');
	await page(await iterator(arn, a.ShardId, 'TRIM_HORIZON'));
	info('expired after 2 calls: the chain ends, a new iterator works');

	const ttl = (await ctl('GET', '/__stats')).config.iterator_ttl_ms;
	await ctl('POST', '/__config', { iterator_ttl_ms: 1000 });
	it = await iterator(arn, b.ShardId, 'TRIM_HORIZON');
	await sleep(1500);
	const e = await refused('an iterator older than iterator_ttl_ms',
	    () => page(it), 'ExpiredIteratorException');
	await ctl('POST', '/__config', { iterator_ttl_ms: ttl });
	await page(it);
	info(`expired by age: ok (${e.message.slice(0, 60)}...)`);
}

function dateOff(r, before, after, skew, what) {
	const d = Date.parse(r.headers.date);
	check(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/
	    .test(r.headers.date || ''), `${what}: Date ${r.headers.date}`);
	check(d >= Math.floor((before + skew) / 1000) * 1000 - 1000 &&
	    d <= after + skew + 1000, `${what}: Date ${r.headers.date} is ` +
	    `${(d - after) / 1000} s off the host, want ${skew / 1000} s`);
}

async function cmdSkew(arn) {
	const skew = Number(opts.skew);
	check(Number.isInteger(skew), 'skew needs --skew MS');
	const calls = [['DynamoDB_20120810.ListTables', {}],
	    ['DynamoDB_20120810.DescribeTable', { TableName: TABLE }],
	    [S + 'DescribeStream', { StreamArn: arn, Limit: 1 }],
	    [S + 'GetRecords', { ShardIterator: 'bad' }]];
	for (const [op, input] of calls) {
		const before = Date.now();
		const r = await raw(op, input);
		dateOff(r, before, Date.now(), skew, op);
	}
	const key = 'skew-' + skew + '-' + Date.now();
	const before = Date.now();
	await ddb.send(new PutItemCommand({ TableName: TABLE,
	    Item: { pk: { S: key } } }));
	await sync();
	const after = Date.now();
	const t = await truth(arn, '&records=1');
	let found = null;
	for (const s of t.shards)
		for (const r of s.recs)
			if (r[1] === JSON.stringify({ pk: { S: key } }))
				found = { shard: s.id, seq: r[0] };
	check(found, 'the new record is not in the tree');
	const it = (await raw(S + 'GetShardIterator', { StreamArn: arn,
	    ShardId: found.shard, ShardIteratorType: 'AT_SEQUENCE_NUMBER',
	    SequenceNumber: found.seq })).json.ShardIterator;
	const r = await raw(S + 'GetRecords', { ShardIterator: it, Limit: 1 });
	const acdt = r.json.Records[0].dynamodb.ApproximateCreationDateTime;
	check(typeof acdt === 'number' && Number.isInteger(acdt),
	    `ApproximateCreationDateTime ${JSON.stringify(acdt)}: want a ` +
	    'number of whole seconds');
	check(acdt * 1000 >= Math.floor((before + skew) / 1000) * 1000 &&
	    acdt * 1000 <= after + skew, `ApproximateCreationDateTime ` +
	    `${acdt} is ${acdt - after / 1000} s off the host, want ` +
	    `${skew / 1000} s`);
	info(`skew ${skew / 1000} s: Date headers and ` +
	    'ApproximateCreationDateTime agree');
}

function wireOk(r, what) {
	const crc = zlib.crc32(r.body) >>> 0;
	check(r.headers['x-amz-crc32'] === String(crc),
	    `${what}: x-amz-crc32 ${r.headers['x-amz-crc32']}, body has ${crc}`);
	check(/^[0-9a-fA-F-]{20,}$/.test(r.headers['x-amzn-requestid'] || ''),
	    `${what}: x-amzn-RequestId ${r.headers['x-amzn-requestid']}`);
	check(!isNaN(Date.parse(r.headers.date)), `${what}: no Date`);
	check(r.headers['content-type'] === 'application/x-amz-json-1.0',
	    `${what}: Content-Type ${r.headers['content-type']}`);
	check(Number(r.headers['content-length']) === r.body.length,
	    `${what}: Content-Length`);
}

async function cmdWire(arn) {
	const t = await truth(arn);
	const full = t.shards.find((s) => s.records - s.trimmed > 0);
	check(full, 'no shard with records');
	let it = (await raw(S + 'GetShardIterator', { StreamArn: arn,
	    ShardId: full.id, ShardIteratorType: 'TRIM_HORIZON' }));
	wireOk(it, 'GetShardIterator');
	const rec = await raw(S + 'GetRecords', { ShardIterator:
	    it.json.ShardIterator });
	wireOk(rec, 'GetRecords');
	check(rec.json.Records.length > 0 && /[^\x00-\x7f]/.test(
	    rec.body.toString('utf8')), 'want a page with non-ASCII text');
	const answers = [
		['ListTables', 'DynamoDB_20120810.ListTables', {}, 200],
		['ListStreams', S + 'ListStreams', {}, 200],
		['DescribeStream', S + 'DescribeStream', { StreamArn: arn }, 200],
		['DescribeStream unknown', S + 'DescribeStream',
		    { StreamArn: arn + 'x' }, 400],
		['GetRecords bad iterator', S + 'GetRecords',
		    { ShardIterator: 'x' }, 400],
		['GetShardIterator unknown shard', S + 'GetShardIterator',
		    { StreamArn: arn, ShardId: 'shardId-1',
		    ShardIteratorType: 'LATEST' }, 400],
		['unknown operation', S + 'Nothing', {}, 400],
	];
	for (const [what, op, input, status] of answers) {
		const r = await raw(op, input);
		check(r.status === status, `${what}: HTTP ${r.status}`);
		wireOk(r, what);
		if (status === 400)
			check(/#[A-Za-z]+Exception$/.test(r.json.__type) &&
			    typeof r.json.message === 'string',
			    `${what}: error body ${r.body}`);
	}
	info(`x-amz-crc32, RequestId, Date, Content-Type on ` +
	    `${answers.length + 2} answers: ok`);
}

async function waitFor(what, secs, fn) {
	const end = Date.now() + secs * 1000;
	for (;;) {
		if (await fn())
			return;
		check(Date.now() < end, `timed out after ${secs} s: ${what}`);
		await sleep(200);
	}
}

async function trimmedNow(arn, shard, seq) {
	try {
		await iterator(arn, shard, 'AT_SEQUENCE_NUMBER', seq);
		return false;
	} catch (e) {
		if (e.name === 'TrimmedDataAccessException')
			return true;
		throw e;
	}
}

async function cmdTrim(arn) {
	await putItems('trim-', 40);
	await sync();
	const all = flat(await listAll(arn));
	const closed = all.find((s) => s.SequenceNumberRange.EndingSequenceNumber);
	check(closed, 'no closed shard to see leave');
	let o = null;
	for (const s of all.filter((x) =>
	    !x.SequenceNumberRange.EndingSequenceNumber)) {
		const r = await readShard(await iterator(arn, s.ShardId,
		    'TRIM_HORIZON'), false);
		if (r.recs.length >= 2 && (!o || r.recs.length > o.recs.length))
			o = { s, recs: r.recs.map((x) => x.dynamodb.SequenceNumber) };
	}
	check(o, 'no open shard with two records');
	const id = o.s.ShardId, last = o.recs[o.recs.length - 1];
	const old = await iterator(arn, id, 'TRIM_HORIZON');
	const retention = (await ctl('GET', '/__stats')).config.retention_ms;
	await ctl('POST', '/__config', { retention_ms: 3000 });
	await waitFor('the first records to be trimmed', 60, () =>
	    trimmedNow(arn, id, o.recs[0]));
	await waitFor('the last record to be trimmed', 60, () =>
	    trimmedNow(arn, id, last));
	await refused('GetRecords from before the trim horizon', () => page(old),
	    'TrimmedDataAccessException');
	await refused('AFTER a number before the last trimmed one',
	    () => iterator(arn, id, 'AFTER_SEQUENCE_NUMBER', o.recs[0]),
	    'TrimmedDataAccessException');
	let r = await page(await iterator(arn, id, 'AFTER_SEQUENCE_NUMBER',
	    last));
	check(r.Records.length === 0 && r.NextShardIterator,
	    'AFTER the last trimmed record: the tip of the open shard');
	r = await page(await iterator(arn, id, 'TRIM_HORIZON'));
	check(r.Records.length === 0 && r.NextShardIterator,
	    'TRIM_HORIZON of a fully trimmed open shard: an empty page');
	info(`trimmed positions on ${id}: TrimmedDataAccessException`);
	await waitFor('the closed shards to leave the stream', 60, async () =>
	    flat(await listAll(arn)).every((s) =>
	    !s.SequenceNumberRange.EndingSequenceNumber));
	await refused('a shard that left the stream', () => iterator(arn,
	    closed.ShardId, 'TRIM_HORIZON'), 'ResourceNotFoundException');
	const left = flat(await listAll(arn)).length;
	await ctl('POST', '/__config', { retention_ms: retention });
	info(`closed shards left the stream: ${all.length} listed before, ` +
	    `${left} (the open ones) after`);
}

async function cmdTrimNext(arn) {
	await ctl('POST', '/__trim', { next: 1, count: 2 });
	await ctl('POST', '/__rollover', { split: false });
	let t = await truth(arn);
	const x = t.shards.find((s) => s.trim_first === 2);
	check(x, 'no shard planned to lose its first records');
	for (let round = 0; ; round++) {
		check(round < 100, `shard ${x.id} gets no records`);
		t = await truth(arn);
		const now = t.shards.find((s) => s.id === x.id);
		const others = t.shards.filter((s) => s.open && s.id !== x.id &&
		    s.records > 0);
		if (now.records >= 4 && others.length > 0)
			break;
		await putItems(`next-${round}-`, 10);
		await sync();
	}
	await refused('AT the StartingSequenceNumber of a child trimmed before ' +
	    'its first read', () => iterator(arn, x.id, 'AT_SEQUENCE_NUMBER', x.start),
	    'TrimmedDataAccessException');
	const r = await firstAt(arn, x.id, 'TRIM_HORIZON');
	const tr = (await truth(arn, '&records=1')).shards.find((s) =>
	    s.id === x.id);
	check(tr.trimmed === 2 && firstSeq(r) === tr.recs[0][0],
	    'TRIM_HORIZON of that child: its third record');
	// Another shard that lost nothing: AT its start is its first record,
	// even when that record's number is higher.
	const y = t.shards.find((s) => s.open && s.id !== x.id && s.records > 0);
	const ry = await firstAt(arn, y.id, 'AT_SEQUENCE_NUMBER', y.start);
	const fy = await firstAt(arn, y.id, 'TRIM_HORIZON');
	check(firstSeq(ry) && firstSeq(ry) === firstSeq(fy),
	    'AT the start of an untrimmed shard: its first record');
	info(`child ${x.id} trimmed before its first read: AT its start ` +
	    'is TrimmedDataAccessException; an untrimmed one is fine');
}

// Find a record by key and event name through the truth, read it through
// the API.
async function recordOf(arn, key, name) {
	const t = await truth(arn, '&records=1');
	for (const s of t.shards)
		for (const r of s.recs)
			if (r[1] === JSON.stringify(key) && r[2] === name) {
				const got = await firstAt(arn, s.id,
				    'AT_SEQUENCE_NUMBER', r[0]);
				return got.Records[0];
			}
	throw new CheckFailed(`no ${name} record of ${canon(key)}`);
}

async function cmdHooks(arn) {
	// TTL deletions (issue 18): the service's identity on chosen REMOVEs.
	const k1 = { pk: { S: 'ttl-1' } }, k2 = { pk: { S: 'ttl-2' } };
	await ctl('POST', '/__ttl', { keys: [k1] });
	for (const k of [k1, k2]) {
		await ddb.send(new PutItemCommand({ TableName: TABLE, Item: k }));
		await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: k }));
	}
	await sync();
	const r1 = await recordOf(arn, k1, 'REMOVE');
	const r2 = await recordOf(arn, k2, 'REMOVE');
	check(r1.userIdentity && r1.userIdentity.Type === 'Service' &&
	    r1.userIdentity.PrincipalId === 'dynamodb.amazonaws.com',
	    'a TTL deletion without the service\'s userIdentity: ' +
	    canon(r1.userIdentity));
	check(!r2.userIdentity, 'a user\'s deletion with a userIdentity');
	info('TTL deletions carry the service\'s userIdentity, others none');

	// Readers per shard (issue 20).
	const { s, recs } = await closedWith(arn, 3);
	await ctl('POST', '/__config', { max_readers: 1,
	    readers_window_ms: 600000 });
	const one = await iterator(arn, s.ShardId, 'TRIM_HORIZON');
	const two = await iterator(arn, s.ShardId, 'TRIM_HORIZON');
	const next = (await page(one, 1)).NextShardIterator;
	await refused('a second reader with max_readers 1', () => page(two),
	    'LimitExceededException');
	await page(next, 1);
	await ctl('POST', '/__config', { max_readers: 0,
	    readers_window_ms: 1000 });
	info('max_readers: a second chain on a shard is LimitExceededException');

	// Empty pages that do not move, and an end page of its own.
	await ctl('POST', '/__config', { empty_page_p: 0.9,
	    end_page: 'separate' });
	let it = await iterator(arn, s.ShardId, 'TRIM_HORIZON');
	let empty = 0, got = [], last = null;
	for (let n = 0; it; n++) {
		check(n < 10000, 'empty pages forever');
		last = await page(it, 1);
		if (last.Records.length === 0)
			empty++;
		got.push(...last.Records.map((x) => x.dynamodb.SequenceNumber));
		it = last.NextShardIterator;
	}
	await ctl('POST', '/__config', { empty_page_p: 0,
	    end_page: 'with_records' });
	check(canon(got) === canon(recs) && empty > 1 &&
	    last.Records.length === 0, `empty pages: read ${got.length} of ` +
	    `${recs.length} records, ${empty} empty pages, the end page ` +
	    `${last.Records.length ? 'has records' : 'is empty'}`);
	info(`empty pages (${empty}) and a separate end page: every record once`);
}

async function cmdModes(arn) {
	await ctl('POST', '/__config', { describe_loop: true });
	let first = null;
	for (let i = 0; i < 4; i++) {
		const d = (await streams.send(new DescribeStreamCommand({
		    StreamArn: arn, ExclusiveStartShardId: first ?
		    first.LastEvaluatedShardId : undefined })))
		    .StreamDescription;
		check(d.LastEvaluatedShardId, 'describe_loop: a last page');
		if (first)
			check(d.LastEvaluatedShardId === first.LastEvaluatedShardId &&
			    canon(d.Shards) === canon(first.Shards),
			    'describe_loop: the page changed');
		first = first || d;
	}
	await ctl('POST', '/__config', { describe_loop: false });
	await listAll(arn);
	info('describe_loop: the same LastEvaluatedShardId forever; off: ends');

	const unknown = async () => {
		const all = flat(await listAll(arn));
		const t = await truth(arn, '&gone=1');
		const ever = new Set(t.shards.map((s) => s.id)
		    .concat(t.gone.map((s) => s.id)));
		return all.filter((s) => s.ParentShardId &&
		    !ever.has(s.ParentShardId));
	};
	check((await unknown()).length === 0, 'a parent that never existed ' +
	    'before unknown_parent');
	await ctl('POST', '/__config', { unknown_parent: true });
	const odd = await unknown();
	check(odd.length === 1, `unknown_parent: ${odd.length} shards ` +
	    'with a parent that never existed, want 1');
	await ctl('POST', '/__config', { unknown_parent: false });
	check((await unknown()).length === 0, 'unknown_parent off: still one');
	info(`unknown_parent: ${odd[0].ShardId} names ${odd[0].ParentShardId}`);

	await ctl('POST', '/__config', { duplicate_shard: true });
	const d = (await streams.send(new DescribeStreamCommand({
	    StreamArn: arn }))).StreamDescription;
	await ctl('POST', '/__config', { duplicate_shard: false });
	check(d.Shards.length >= 2 && d.Shards[0].ShardId === d.Shards[1].ShardId,
	    'duplicate_shard: no shard listed twice');
	info('duplicate_shard: a page lists a shard twice');
}

async function timed(fn) {
	const t0 = Date.now();
	await fn();
	return Date.now() - t0;
}

async function cmdDelays(arn) {
	const ms = Number(opts.ms);
	check(ms > 0, 'delays needs --ms MS');
	const before = (await ctl('GET', '/__stats')).delayed;
	await ctl('POST', '/__config', { scan_delay_ms: ms, write_delay_ms: ms });
	const scan = await timed(() => ddb.send(new ScanCommand({
	    TableName: TABLE, Limit: 1 })));
	const write = await timed(() => ddb.send(new BatchWriteItemCommand({
	    RequestItems: { [TABLE]: [{ PutRequest: { Item: {
	    pk: { S: 'delayed' } } } }] } })));
	const it = await iterator(arn, flat(await listAll(arn))[0].ShardId,
	    'TRIM_HORIZON');
	await page(it);
	await ctl('POST', '/__config', { scan_delay_ms: 0, write_delay_ms: 0 });
	const after = (await ctl('GET', '/__stats')).delayed;
	// Lower bounds only: a busy machine makes answers later, not sooner.
	check(scan >= ms && write >= ms, `Scan took ${scan} ms, ` +
	    `BatchWriteItem ${write} ms, want at least ${ms}`);
	check((after.Scan || 0) === (before.Scan || 0) + 1 &&
	    (after.BatchWriteItem || 0) === (before.BatchWriteItem || 0) + 1,
	    'one Scan and one BatchWriteItem held');
	check(Object.keys(after).every((k) => k === 'Scan' ||
	    k === 'BatchWriteItem'), 'other answers were held: ' + canon(after));
	info(`Scan ${scan} ms, BatchWriteItem ${write} ms (held ${ms} ms); ` +
	    'Streams answers not held');
}

const commands = {
	tree: cmdTree, records: cmdRecords, iterators: cmdIterators,
	latest: cmdLatest, expire: cmdExpire, skew: cmdSkew, wire: cmdWire,
	trim: cmdTrim, 'trim-next': cmdTrimNext, modes: cmdModes,
	hooks: cmdHooks,
	delays: cmdDelays,
};

const [cmd, TABLE] = pos;
if (!commands[cmd] || !TABLE)
	usage(cmd ? `unknown command ${cmd} or no table` : 'no command');

streamArn(TABLE).then((arn) => commands[cmd](arn)).then(() =>
    process.exit(0), (e) => {
	process.stderr.write(`streamcheck: ${e instanceof CheckFailed ?
	    'FAIL' : e.name}: ${e.message}\n`);
	if (!(e instanceof CheckFailed))
		process.stderr.write(String(e.stack) + '\n');
	process.exit(1);
});
