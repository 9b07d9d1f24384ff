#!/usr/bin/env node
// ddbtool.js: an independent DynamoDB client for ddb-sync's tests, built on
// AWS's SDK for JavaScript so that copies are checked by code that shares
// nothing with ddb-sync.
//
//   ddbtool.js [--endpoint URL] [--region R] COMMAND ...
//   ready                              exit 0 once ListTables answers
//   create-table T --hash a:S [--range b:N] [--stream VIEW]
//                [--provisioned R/W] [--def FILE] [--ttl ATTR]
//                [--tags k=v,k2=v2] [--pitr true]
//                                      --def: JSON merged into CreateTable's
//                                      input (GlobalSecondaryIndexes, ...;
//                                      AttributeDefinitions are added);
//                                      then TTL, tags, PITR are set
//   delete-table T
//   describe T                         {"Table", "TimeToLive",
//                                      "ContinuousBackups", "Tags"} as JSON;
//                                      null where the endpoint lacks the call
//   put-json T FILE                    PutItem each line of FILE (DynamoDB JSON)
//   delete T KEYJSON                   DeleteItem
//   count T                            items, by a full Scan
//   dump T                             canonical items, one JSON line each, sorted
//   compare SRC DST [--dst-region R] [--dst-endpoint URL]
//                                      exit 0 if equal, else 1 with a summary
//   put-items T N [--seed S] [--size B] [--prefix P]
//                                      N items with every attribute type
//   mutate T N [--seed S] [--keys K] [--size B]
//                                      N random puts/updates/deletes over K keys
//   get T KEYJSON                      GetItem, prints the item or "null"
//
// Credentials and region come from the environment (AWS_ACCESS_KEY_ID,
// AWS_REGION, ...); --endpoint defaults to AWS_ENDPOINT_URL.
'use strict';

const {
	DynamoDBClient, ListTablesCommand, CreateTableCommand,
	DeleteTableCommand, DescribeTableCommand, ScanCommand,
	BatchWriteItemCommand, PutItemCommand, DeleteItemCommand,
	UpdateItemCommand, GetItemCommand, UpdateTimeToLiveCommand,
	DescribeTimeToLiveCommand, UpdateContinuousBackupsCommand,
	DescribeContinuousBackupsCommand, TagResourceCommand,
	ListTagsOfResourceCommand,
} = require('@aws-sdk/client-dynamodb');
const fs = require('fs');

function usage(msg) {
	if (msg)
		process.stderr.write(`ddbtool: ${msg}\n`);
	process.stderr.write('usage: ddbtool.js [--endpoint URL] [--region R] ' +
	    'ready|create-table|delete-table|describe|count|dump|compare|' +
	    'put-items|put-json|mutate|get|delete ...\n');
	process.exit(2);
}

function parseArgs(argv) {
	const opts = {}, pos = [];
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a.startsWith('--')) {
			const eq = a.indexOf('=');
			if (eq > 0) {
				opts[a.slice(2, eq)] = a.slice(eq + 1);
			} else {
				if (i + 1 >= argv.length)
					usage(`${a} needs a value`);
				opts[a.slice(2)] = argv[++i];
			}
		} else {
			pos.push(a);
		}
	}
	return { opts, pos };
}

function client(endpoint, region) {
	return new DynamoDBClient({
		endpoint: endpoint || process.env.AWS_ENDPOINT_URL,
		region: region || process.env.AWS_REGION || 'us-east-1',
		maxAttempts: 10,
	});
}

// A deterministic PRNG (mulberry32) so runs can be reproduced by seed.
function rng(seed) {
	let a = seed >>> 0;
	return function () {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// Canonical text of an attribute value: map keys sorted, sets sorted,
// binary as base64, so equal items give equal strings.
function canon(v) {
	const t = Object.keys(v)[0];
	const x = v[t];
	switch (t) {
	case 'S': case 'N': case 'BOOL': case 'NULL':
		return JSON.stringify({ [t]: x });
	case 'B':
		return JSON.stringify({ B: Buffer.from(x).toString('base64') });
	case 'SS': case 'NS':
		return JSON.stringify({ [t]: [...x].sort() });
	case 'BS':
		return JSON.stringify({ BS: x.map((b) =>
		    Buffer.from(b).toString('base64')).sort() });
	case 'L':
		return '{"L":[' + x.map(canon).join(',') + ']}';
	case 'M':
		return '{"M":' + canonItem(x) + '}';
	default:
		throw new Error(`unknown attribute type ${t}`);
	}
}

function canonItem(item) {
	return '{' + Object.keys(item).sort().map((k) =>
	    JSON.stringify(k) + ':' + canon(item[k])).join(',') + '}';
}

async function keySchema(c, table) {
	const d = await c.send(new DescribeTableCommand({ TableName: table }));
	return d.Table.KeySchema.map((k) => k.AttributeName);
}

function keyOf(item, names) {
	return names.map((n) => canon(item[n])).join('|');
}

// Full scan; Limit keeps DynamoDB Local out of its O(N^2) path.
async function scanAll(c, table, fn) {
	let start;
	do {
		const r = await c.send(new ScanCommand({ TableName: table,
		    Limit: 1000, ExclusiveStartKey: start }));
		for (const it of r.Items)
			fn(it);
		start = r.LastEvaluatedKey;
	} while (start);
}

async function dumpMap(c, table) {
	const names = await keySchema(c, table);
	const m = new Map();
	await scanAll(c, table, (it) => m.set(keyOf(it, names), canonItem(it)));
	return m;
}

function genValue(r, depth, size) {
	const kinds = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL',
	    'BOOL'];
	const k = kinds[Math.floor(r() * (depth > 2 ? 6 : kinds.length))];
	switch (k) {
	case 'S': return { S: 'ü✓ ' + 'x'.repeat(Math.floor(r() * size)) };
	case 'N': return { N: String(Math.floor(r() * 1e9)) };
	case 'B': return { B: Buffer.from([0, 255, Math.floor(r() * 256)]) };
	case 'SS': return { SS: ['a', 'b' + Math.floor(r() * 100)] };
	case 'NS': return { NS: ['1', String(2 + Math.floor(r() * 100))] };
	case 'BS': return { BS: [Buffer.from([1]), Buffer.from([2, 3])] };
	case 'M': return { M: { inner: genValue(r, depth + 1, size),
	    n: { N: '-1.5e-10' } } };
	case 'L': return { L: [genValue(r, depth + 1, size), { S: '' }] };
	case 'NULL': return { NULL: true };
	default: return { BOOL: r() < 0.5 };
	}
}

function genItem(r, key, size) {
	const it = { pk: { S: key },
	    n38: { N: '12345678901234567890123456789012345678' },
	    bin: { B: Buffer.from([0, 1, 2, 0xfe, 0xff]) },
	    uni: { S: 'Grüße, 世界 🌍' } };
	for (let i = 0; i < 4; i++)
		it['a' + i] = genValue(r, 0, size);
	return it;
}

async function batchPut(c, table, items) {
	let req = { [table]: items.map((it) => ({ PutRequest: { Item: it } })) };
	for (let attempt = 0; Object.keys(req).length > 0; attempt++) {
		if (attempt > 20)
			throw new Error('BatchWriteItem: unprocessed items remain');
		const r = await c.send(new BatchWriteItemCommand({
		    RequestItems: req }));
		req = r.UnprocessedItems || {};
	}
}

// An answer, or null when the endpoint does not know the operation.
async function optional(c, cmd) {
	try {
		const r = await c.send(cmd);
		delete r.$metadata;
		return r;
	} catch (e) {
		if (e.name === 'UnknownOperationException')
			return null;
		throw e;
	}
}

async function main() {
	const { opts, pos } = parseArgs(process.argv.slice(2));
	const c = client(opts.endpoint, opts.region);
	const cmd = pos.shift();

	switch (cmd) {
	case 'ready':
		await c.send(new ListTablesCommand({}));
		return 0;
	case 'create-table': {
		const [table] = pos;
		if (!table || !opts.hash)
			usage('create-table T --hash name:TYPE');
		const defs = [], ks = [];
		for (const [role, spec] of [['HASH', opts.hash],
		    ['RANGE', opts.range]]) {
			if (!spec)
				continue;
			const [n, t] = spec.split(':');
			defs.push({ AttributeName: n, AttributeType: t || 'S' });
			ks.push({ AttributeName: n, KeyType: role });
		}
		const p = { TableName: table, AttributeDefinitions: defs,
		    KeySchema: ks, BillingMode: 'PAY_PER_REQUEST' };
		if (opts.stream && opts.stream !== 'none')
			p.StreamSpecification = { StreamEnabled: true,
			    StreamViewType: opts.stream };
		if (opts.provisioned) {
			const [r, w] = opts.provisioned.split('/').map(Number);
			p.BillingMode = 'PROVISIONED';
			p.ProvisionedThroughput = { ReadCapacityUnits: r,
			    WriteCapacityUnits: w };
		}
		if (opts.def) {
			const extra = JSON.parse(fs.readFileSync(opts.def,
			    'utf8'));
			for (const d of extra.AttributeDefinitions || [])
				if (!defs.some((x) => x.AttributeName ===
				    d.AttributeName))
					defs.push(d);
			delete extra.AttributeDefinitions;
			Object.assign(p, extra);
		}
		const made = await c.send(new CreateTableCommand(p));
		if (opts.ttl)
			await c.send(new UpdateTimeToLiveCommand({ TableName:
			    table, TimeToLiveSpecification: { Enabled: true,
			    AttributeName: opts.ttl } }));
		if (opts.tags)
			await c.send(new TagResourceCommand({ ResourceArn:
			    made.TableDescription.TableArn, Tags: opts.tags
			    .split(',').map((kv) => { const [k, v] =
			    kv.split('='); return { Key: k, Value: v || '' }; })
			}));
		if (opts.pitr === 'true')
			await c.send(new UpdateContinuousBackupsCommand({
			    TableName: table, PointInTimeRecoverySpecification:
			    { PointInTimeRecoveryEnabled: true } }));
		return 0;
	}
	case 'delete-table':
		await c.send(new DeleteTableCommand({ TableName: pos[0] }));
		return 0;
	case 'describe': {
		const d = await c.send(new DescribeTableCommand({
		    TableName: pos[0] }));
		const ttl = await optional(c, new DescribeTimeToLiveCommand({
		    TableName: pos[0] }));
		const pitr = await optional(c,
		    new DescribeContinuousBackupsCommand({ TableName: pos[0] }));
		const tags = await optional(c, new ListTagsOfResourceCommand({
		    ResourceArn: d.Table.TableArn }));
		process.stdout.write(JSON.stringify({ Table: d.Table,
		    TimeToLive: ttl && ttl.TimeToLiveDescription,
		    ContinuousBackups: pitr &&
		    pitr.ContinuousBackupsDescription,
		    Tags: tags && tags.Tags }) + '\n');
		return 0;
	}
	case 'put-json': {
		const lines = fs.readFileSync(pos[1], 'utf8').split('\n')
		    .filter((l) => l.trim() !== '');
		for (const l of lines)
			await c.send(new PutItemCommand({ TableName: pos[0],
			    Item: JSON.parse(l) }));
		return 0;
	}
	case 'delete':
		await c.send(new DeleteItemCommand({ TableName: pos[0],
		    Key: JSON.parse(pos[1]) }));
		return 0;
	case 'count': {
		let n = 0;
		await scanAll(c, pos[0], () => n++);
		process.stdout.write(n + '\n');
		return 0;
	}
	case 'dump': {
		const m = await dumpMap(c, pos[0]);
		for (const k of [...m.keys()].sort())
			process.stdout.write(m.get(k) + '\n');
		return 0;
	}
	case 'compare': {
		const [src, dst] = pos;
		if (!src || !dst)
			usage('compare SRC DST');
		const dc = client(opts['dst-endpoint'] || opts.endpoint,
		    opts['dst-region'] || opts.region);
		const a = await dumpMap(c, src);
		const b = await dumpMap(dc, dst);
		let missing = 0, extra = 0, differ = 0;
		const show = [];
		for (const [k, v] of a) {
			if (!b.has(k)) {
				missing++;
				if (show.length < 5) show.push(`missing ${k}`);
			} else if (b.get(k) !== v) {
				differ++;
				if (show.length < 5) show.push(`differs ${k}`);
			}
		}
		for (const k of b.keys()) {
			if (!a.has(k)) {
				extra++;
				if (show.length < 5) show.push(`extra ${k}`);
			}
		}
		const line = `compare ${src} (${a.size} items) -> ${dst} ` +
		    `(${b.size} items): ${missing} missing, ${extra} extra, ` +
		    `${differ} different`;
		if (missing + extra + differ === 0) {
			process.stdout.write(line + ': EQUAL\n');
			return 0;
		}
		process.stdout.write(line + '\n' + show.join('\n') + '\n');
		return 1;
	}
	case 'put-items': {
		const [table, count] = pos;
		const n = parseInt(count, 10);
		const r = rng(parseInt(opts.seed || '1', 10));
		const size = parseInt(opts.size || '100', 10);
		const prefix = opts.prefix || 'k';
		let batch = [];
		const pending = [];
		for (let i = 0; i < n; i++) {
			batch.push(genItem(r, `${prefix}${i}`, size));
			if (batch.length === 25 || i === n - 1) {
				pending.push(batchPut(c, table, batch));
				batch = [];
				if (pending.length >= 8)
					await Promise.all(pending.splice(0));
			}
		}
		await Promise.all(pending);
		return 0;
	}
	case 'mutate': {
		const [table, count] = pos;
		const n = parseInt(count, 10);
		const r = rng(parseInt(opts.seed || '2', 10));
		const keys = parseInt(opts.keys || '100', 10);
		const size = parseInt(opts.size || '50', 10);
		const prefix = opts.prefix || 'm';
		for (let i = 0; i < n; i++) {
			const key = `${prefix}${Math.floor(r() * keys)}`;
			const op = r();
			if (op < 0.55) {
				await c.send(new PutItemCommand({ TableName: table,
				    Item: genItem(r, key, size) }));
			} else if (op < 0.8) {
				await c.send(new UpdateItemCommand({
				    TableName: table, Key: { pk: { S: key } },
				    UpdateExpression: 'SET #c = :v',
				    ExpressionAttributeNames: { '#c': 'counter' },
				    ExpressionAttributeValues: { ':v': {
				    N: String(i) } } }));
			} else {
				await c.send(new DeleteItemCommand({
				    TableName: table,
				    Key: { pk: { S: key } } }));
			}
		}
		return 0;
	}
	case 'get': {
		const r = await c.send(new GetItemCommand({ TableName: pos[0],
		    Key: JSON.parse(pos[1]), ConsistentRead: true }));
		process.stdout.write((r.Item ? canonItem(r.Item) : 'null') +
		    '\n');
		return 0;
	}
	default:
		usage(cmd ? `unknown command ${cmd}` : 'no command');
	}
	return 2;
}

main().then((rc) => process.exit(rc), (e) => {
	process.stderr.write(`ddbtool: ${e.name || 'Error'}: ${e.message}\n`);
	process.exit(1);
});
