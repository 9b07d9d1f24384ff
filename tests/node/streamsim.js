#!/usr/bin/env node
// streamsim.js: a DynamoDB Streams simulator for ddb-sync's tests. It sits
// in front of DynamoDB Local, forwards the table calls, and serves the
// Streams API from a simulated shard tree that behaves like AWS's: shards
// roll over and split, old records are trimmed, iterators expire, and the
// server's clock can be minutes off the host's. DynamoDB Local keeps one
// shard open forever, so without this the stream phase never meets a
// rollover. tests/README.md describes the model and how to use it.
//
//   streamsim.js --target http://127.0.0.1:PORT --port-file FILE [OPTIONS]
//
// Options (every *-ms value in milliseconds; runtime names in brackets,
// see POST /__config):
//   --target URL             DynamoDB Local (required)
//   --port-file FILE         write the port here once serving (else stdout)
//   --port N                 listen on N (default: a free port)
//   --rollover-ms N          an open shard closes N ms after its creation
//                            and gets its children; 0 = never (default 0)
//                            [rollover_ms]
//   --split-p P              chance that a rollover splits the shard's hash
//                            range over two children (default 0.5) [split_p]
//   --max-open-shards N      no split once N shards are open (default 8)
//                            [max_open_shards]
//   --initial-shards N       open shards of a newly found stream, hash range
//                            cut in N equal parts (default 1) [initial_shards]
//   --retention-ms N         records older than N ms are trimmed (default
//                            86400000, 24 h) [retention_ms]
//   --iterator-ttl-ms N      shard iterators expire N ms after they were
//                            issued (default 900000, 15 min) [iterator_ttl_ms]
//   --skew-ms N              the simulated server clock runs N ms ahead of
//                            the host's (negative: behind) (default 0)
//                            [skew_ms]
//   --scan-delay-ms N        hold every Scan answer N ms [scan_delay_ms]
//   --write-delay-ms N       hold every BatchWriteItem answer N ms
//                            [write_delay_ms]
//   --delay OP=MS            hold every OP answer MS ms (repeatable; any
//                            table or Streams operation) [delay_ms]
//   --prefill-shards N       a newly found stream starts with a history of
//                            N closed, empty shards (chains and splits, at
//                            most half of max_open_shards open at a time),
//                            the live shards their descendants (default 0)
//                            [prefill_shards]
//   --poll-ms N              how often DynamoDB Local's streams are read
//                            (default 100) [poll_ms]
//   --seed N                 seed of the random choices (splits, shard id
//                            suffixes, empty pages); default from the time,
//                            shown in /__stats
//   --seq-start DIGITS       the first sequence number (default
//                            300000000000000000000, 21 digits, above 2^64)
//   --verbose                log rollovers, trims and served errors on stderr
//
// Further runtime settings (POST /__config only):
//   limit_error              GetRecords Limit > 1000 answers this error
//                            ("ValidationException", the default, is what
//                            DynamoDB Local, AWS's own emulator, answers;
//                            "LimitExceededException" is the other
//                            answer a client may meet)
//   end_page                 "with_records" (default): the page that reads
//                            a closed shard's last records already has no
//                            NextShardIterator; "separate": that page still
//                            has one, and the next (empty) page has none
//   empty_page_p             chance that a GetRecords answer is an empty
//                            page that does not move although records wait
//                            (AWS: "it might take multiple calls")
//   max_readers              > 0: LimitExceededException when more than N
//                            iterator chains (each begun by one
//                            GetShardIterator) read one shard within
//                            readers_window_ms (default 1000); AWS allows 2
//                            readers per shard (issue 20: several hosts)
//   ttl_removes              true: every REMOVE record carries the TTL
//                            service's userIdentity (also POST /__ttl)
//   ttl_identity             how: "model" (default), as the Streams API
//                            model and AWS's SDKs have it on the wire,
//                            {"PrincipalId": "dynamodb.amazonaws.com",
//                            "Type": "Service"}; "guide", as the Developer
//                            Guide's (Lambda event) example has it,
//                            {"type": ..., "principalId": ...}
//   describe_loop            true: DescribeStream ignores
//                            ExclusiveStartShardId and always answers the
//                            first page with the same LastEvaluatedShardId
//   unknown_parent           true: the newest shard that has a parent (or
//                            the newest shard) is listed with a
//                            ParentShardId that never existed
//   duplicate_shard          true: every DescribeStream page lists its
//                            first shard twice
//
// Control (HTTP on the same port, path prefix /__; answers JSON):
//   GET  /__stats            counters, current config, clock
//   GET  /__shards[?stream=ARN][&records=1][&gone=1]
//                            the listed shard tree per stream (creation
//                            order): id, parent, start, end, open, lo, hi,
//                            records (ever), trimmed, created_ms, closed_ms,
//                            children, listed_parent (unknown_parent mode),
//                            trim_first (planned trims); records=1 adds the
//                            retained records as [seq, key, eventName,
//                            eventID]; gone=1 adds the shards that left
//   GET  /__log              the last events (rollovers, trims, errors
//                            served, follower trouble), one JSON per line
//   POST /__config {...}     change any runtime setting above (unknown keys
//                            are refused); answers the whole config
//   POST /__rollover {stream?, split?}
//                            roll every open shard now (split: true/false
//                            forces the choice; default: by split_p)
//   POST /__trim {shard?, stream?, count?}
//                            trim now the first count (default: all)
//                            retained records of one shard, or of every
//                            shard of a stream / of every stream
//   POST /__trim {next: K, count: N}
//                            the next K live shards created (by rollovers
//                            or for a newly found stream) lose
//                            their first N records as soon as they arrive:
//                            a child trimmed before anyone reads it
//                            (a closed shard trimmed whole leaves the
//                            stream at once)
//   POST /__expire_iterators {shard?, stream?, after_calls?}
//                            every iterator issued so far for that shard
//                            (or stream, or all) is expired; with
//                            after_calls: N, only once N more GetRecords
//                            calls on that shard have been answered (the
//                            N+1th gets ExpiredIteratorException)
//   POST /__ttl {keys: [KEYS...]}
//                            REMOVE records whose Keys equal one of these
//                            (e.g. {"pk":{"S":"k1"}}) carry the TTL
//                            service's userIdentity (issue 18)
//   POST /__sync             answers once DynamoDB Local's streams have been
//                            read to their tips by a pass that started
//                            after this call (all writes made before it are
//                            in the tree)
//   POST /__reset            zero the counters and the event log
//
// The model, and where it differs from AWS:
// - Shard ids are shardId-<20 digits: creation ms>-<8 hex>, strictly
//   increasing, so listing order is creation order and
//   ExclusiveStartShardId is found by binary search even when that shard
//   has left the stream.
// - One sequence counter for the whole simulator; a record takes the next
//   number. A shard's StartingSequenceNumber is the counter's next value
//   when it is created (not consumed), so its first record may carry that
//   very number or a higher one. A closed shard's EndingSequenceNumber is
//   its last record's number, or its StartingSequenceNumber when it closed
//   empty. Prefilled shards consume one number each.
// - ApproximateCreationDateTime is whole epoch seconds on the simulated
//   clock, taken as the earlier of the time the record was read from
//   DynamoDB Local and DynamoDB Local's own stamp + 59.999 s (DynamoDB
//   Local rounds down to the minute), never decreasing: never earlier than
//   the write, at most a poll late.
// - A record's hash is the first 32 bits of the md5 of the JSON of its
//   hash-key value; shards own [lo, hi) ranges of [0, 2^32) and a split
//   cuts the range in the middle; a key's records follow one lineage.
// - Iterator and record ages are measured on the host's clock, so a
//   run-time skew change neither expires iterators nor trims records.
// - ListStreams is forwarded to DynamoDB Local (same ARNs).
'use strict';

const http = require('http');
const fs = require('fs');
const zlib = require('zlib');
const crypto = require('crypto');

if (typeof zlib.crc32 !== 'function') {
	process.stderr.write('streamsim: needs node >= 20.15 (zlib.crc32)\n');
	process.exit(2);
}

const TARGET_STREAMS = 'DynamoDBStreams_20120810.';
const HASH_SPACE = 0x100000000;		/* 2^32 */
const PAGE_MAX = 100;			/* DescribeStream shards per page */
const RECORDS_MAX = 1000;		/* GetRecords Limit */
const PAGE_BYTES = 1024 * 1024;		/* GetRecords page, about 1 MB */
const LOG_MAX = 5000;

function usage(msg) {
	if (msg)
		process.stderr.write(`streamsim: ${msg}\n`);
	process.stderr.write('usage: streamsim.js --target URL [--port-file FILE] ' +
	    '[--port N] [--rollover-ms N] [--split-p P] [--max-open-shards N] ' +
	    '[--initial-shards N] [--retention-ms N] [--iterator-ttl-ms N] ' +
	    '[--skew-ms N] [--scan-delay-ms N] [--write-delay-ms N] ' +
	    '[--delay OP=MS] [--prefill-shards N] [--poll-ms N] [--seed N] ' +
	    '[--seq-start DIGITS] [--verbose]\n');
	process.exit(2);
}

// The runtime settings, by their /__config names, with their checks.
const cfg = {
	rollover_ms: 0,
	split_p: 0.5,
	max_open_shards: 8,
	initial_shards: 1,
	retention_ms: 86400000,
	iterator_ttl_ms: 900000,
	skew_ms: 0,
	scan_delay_ms: 0,
	write_delay_ms: 0,
	delay_ms: {},
	prefill_shards: 0,
	poll_ms: 100,
	limit_error: 'ValidationException',
	end_page: 'with_records',
	empty_page_p: 0,
	max_readers: 0,
	readers_window_ms: 1000,
	ttl_removes: false,
	ttl_identity: 'model',
	describe_loop: false,
	unknown_parent: false,
	duplicate_shard: false,
};

function isInt(v, min) {
	return Number.isInteger(v) && v >= min;
}

const checks = {
	rollover_ms: (v) => isInt(v, 0),
	split_p: (v) => typeof v === 'number' && v >= 0 && v <= 1,
	max_open_shards: (v) => isInt(v, 1),
	initial_shards: (v) => isInt(v, 1) && v <= 1024,
	retention_ms: (v) => isInt(v, 1),
	iterator_ttl_ms: (v) => isInt(v, 1),
	skew_ms: (v) => Number.isInteger(v),
	scan_delay_ms: (v) => isInt(v, 0),
	write_delay_ms: (v) => isInt(v, 0),
	delay_ms: (v) => v !== null && typeof v === 'object' &&
	    Object.values(v).every((x) => isInt(x, 0)),
	prefill_shards: (v) => isInt(v, 0) && v <= 1000000,
	poll_ms: (v) => isInt(v, 1),
	limit_error: (v) => v === 'ValidationException' ||
	    v === 'LimitExceededException',
	end_page: (v) => v === 'with_records' || v === 'separate',
	empty_page_p: (v) => typeof v === 'number' && v >= 0 && v < 1,
	max_readers: (v) => isInt(v, 0),
	readers_window_ms: (v) => isInt(v, 1),
	ttl_removes: (v) => typeof v === 'boolean',
	ttl_identity: (v) => v === 'model' || v === 'guide',
	describe_loop: (v) => typeof v === 'boolean',
	unknown_parent: (v) => typeof v === 'boolean',
	duplicate_shard: (v) => typeof v === 'boolean',
};

// Apply a partial config; returns null or what is wrong with it.
function configure(part) {
	if (part === null || typeof part !== 'object' || Array.isArray(part))
		return 'config must be a JSON object';
	for (const k of Object.keys(part)) {
		if (!checks[k])
			return `unknown config key ${k}`;
		if (!checks[k](part[k]))
			return `bad value for ${k}: ${JSON.stringify(part[k])}`;
	}
	for (const k of Object.keys(part))
		cfg[k] = k === 'delay_ms' ? Object.assign({}, part[k]) : part[k];
	if ('unknown_parent' in part)
		for (const st of streams.values())
			pickFakeParent(st);
	return null;
}

const optNames = {
	'rollover-ms': 'rollover_ms', 'split-p': 'split_p',
	'max-open-shards': 'max_open_shards', 'initial-shards': 'initial_shards',
	'retention-ms': 'retention_ms', 'iterator-ttl-ms': 'iterator_ttl_ms',
	'skew-ms': 'skew_ms', 'scan-delay-ms': 'scan_delay_ms',
	'write-delay-ms': 'write_delay_ms', 'prefill-shards': 'prefill_shards',
	'poll-ms': 'poll_ms',
};

let target, portFile, listenPort = 0, seed = Date.now() % 2147483647;
let seqNext = 300000000000000000000n, verbose = false;

function parseArgs(argv) {
	const part = {}, delays = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--verbose') {
			verbose = true;
			continue;
		}
		if (!a.startsWith('--') || i + 1 >= argv.length)
			usage(`bad argument ${a}`);
		const name = a.slice(2), v = argv[++i];
		if (name === 'target') {
			try {
				target = new URL(v);
			} catch (e) {
				usage(`bad --target ${v}`);
			}
		} else if (name === 'port-file') {
			portFile = v;
		} else if (name === 'port') {
			listenPort = Number(v);
		} else if (name === 'seed') {
			seed = Number(v);
			if (!Number.isInteger(seed))
				usage(`bad --seed ${v}`);
		} else if (name === 'seq-start') {
			if (!/^[1-9][0-9]{20,38}$/.test(v))
				usage('--seq-start needs 21 to 39 digits');
			seqNext = BigInt(v);
		} else if (name === 'delay') {
			const m = /^([A-Za-z]+)=([0-9]+)$/.exec(v);
			if (!m)
				usage(`bad --delay ${v} (want OP=MS)`);
			delays[m[1]] = Number(m[2]);
		} else if (optNames[name]) {
			part[optNames[name]] = Number(v);
		} else {
			usage(`unknown option ${a}`);
		}
	}
	if (!target)
		usage('--target is required');
	if (Object.keys(delays).length)
		part.delay_ms = delays;
	const why = configure(part);
	if (why)
		usage(why);
}

// Seeded random numbers in [0, 1), so a run's splits can be reproduced.
let rndCount = 0;
function rnd() {
	return crypto.createHash('sha256').update(`${seed}:${rndCount++}`)
	    .digest().readUInt32BE(0) / HASH_SPACE;
}

function hex8() {
	return Math.floor(rnd() * HASH_SPACE).toString(16).padStart(8, '0');
}

function simNow() {
	return Date.now() + cfg.skew_ms;
}

// ---------------------------------------------------------------- state

const instance = crypto.randomBytes(6).toString('hex');
const streams = new Map();	/* arn -> stream */
const scopes = new Map();	/* "akid/region" -> {akid, region} */
let stats, eventLog;
let iterSerial = 0;
let shardsCreated = 0;
let lastCreatedMs = 0;		/* host clock; creation never goes back */
const pendingTrims = [];	/* {count} for the next shards created */
let ttlKeys = new Set();

function resetStats() {
	stats = {
		ops: {}, errors: {}, describe_pages: 0,
		records: { ingested: 0, trimmed: 0, served: 0 },
		rollovers: 0, splits: 0,
		iterators: { issued: 0, expired: 0, by_type: {} },
		delayed: {},
		follower: { passes: 0, records: 0, errors: 0, dups_skipped: 0,
		    last_error: null },
	};
	eventLog = [];
}
resetStats();

function event(ev, detail) {
	const e = Object.assign({ t: Date.now(), ev }, detail);
	eventLog.push(e);
	if (eventLog.length > LOG_MAX)
		eventLog.splice(0, eventLog.length - LOG_MAX);
	if (verbose)
		process.stderr.write('streamsim: ' + JSON.stringify(e) + '\n');
}

// A stream: the shards in creation (= id) order in a sorted array with
// lazily removed entries, plus an index by id.
function newStream(arn, desc, scope) {
	const hashKey = desc.KeySchema.find((k) => k.KeyType === 'HASH');
	return {
		arn, scope,
		label: desc.StreamLabel,
		table: desc.TableName,
		keySchema: desc.KeySchema,
		hashKey: hashKey.AttributeName,
		viewType: desc.StreamViewType,
		created: desc.CreationRequestDateTime,
		shards: [], byId: new Map(), open: [], nGone: 0,
		goneList: [],		/* what left the stream, for /__shards */
		lastIdMs: 0, fakeParent: null,
		ddbl: new Map(),	/* DynamoDB Local shard id -> position */
		describedAt: 0, alive: true,
	};
}

// A new shard; a history (prefill) shard takes a sequence number of its
// own, a live one starts at the counter's next value.
function newShard(st, parent, lo, hi, createdMs, history) {
	const idMs = Math.max(Math.floor(createdMs), st.lastIdMs + 1);
	st.lastIdMs = idMs;
	const sh = {
		id: 'shardId-' + String(idMs).padStart(20, '0') + '-' + hex8(),
		parent: parent ? parent.id : null,
		children: [],
		lo, hi,
		start: history ? seqNext++ : seqNext,
		end: null,
		createdMs,			/* simulated clock */
		createdHost: Date.now(),
		closedMs: null, closedHost: null,
		recs: [], shift: 0, base: 0, trimmedUpTo: null, lastSeq: null,
		trimFirst: 0,			/* records to drop on arrival */
		listed: true, prefill: !!history,
		expireSerial: 0, expireAfter: null,
		calls: 0, readers: new Map(),
	};
	shardsCreated++;
	if (parent)
		parent.children.push(sh.id);
	if (!history && pendingTrims.length > 0) {
		sh.trimFirst = pendingTrims.shift().count;
		event('trim_planned', { shard: sh.id, count: sh.trimFirst });
	}
	st.shards.push(sh);
	st.byId.set(sh.id, sh);
	return sh;
}

function total(sh) {
	return sh.shift + sh.recs.length;
}

function recAt(sh, i) {
	return sh.recs[i - sh.shift];
}

function closeShard(sh, nowMs) {
	sh.closedMs = nowMs;
	sh.closedHost = nowMs - cfg.skew_ms;
	sh.end = sh.lastSeq !== null ? sh.lastSeq : sh.start;
}

// Close one open shard and open its one or two children.
function rollShard(st, sh, split, nowMs) {
	closeShard(sh, nowMs);
	const canSplit = sh.hi - sh.lo >= 2 &&
	    st.open.length < cfg.max_open_shards;
	if (split === undefined)
		split = rnd() < cfg.split_p;
	let kids;
	if (split && canSplit) {
		const mid = sh.lo + Math.floor((sh.hi - sh.lo) / 2);
		kids = [newShard(st, sh, sh.lo, mid, nowMs),
		    newShard(st, sh, mid, sh.hi, nowMs)];
		stats.splits++;
	} else {
		kids = [newShard(st, sh, sh.lo, sh.hi, nowMs)];
	}
	const i = st.open.indexOf(sh);
	st.open.splice(i, 1, ...kids);
	stats.rollovers++;
	event('rollover', { stream: st.arn, shard: sh.id,
	    children: kids.map((k) => k.id) });
}

function rollStream(st, split) {
	const nowMs = simNow();
	for (const sh of st.open.slice())
		rollShard(st, sh, split, nowMs);
}

// The history of a long-lived stream: n closed, empty shards whose
// creation times are spread over the last half retention, ending in the
// live open shards. A chain of extra shards in front makes the count exact.
// At most half of max_open_shards are open in the history, so that the
// live shards can still split.
function prefill(st, n) {
	const nowMs = simNow();
	const span = Math.min(cfg.retention_ms / 2, 12 * 3600 * 1000);
	const bound = Math.max(1, Math.floor(cfg.max_open_shards / 2));
	let gens = [1];
	let count = 1;
	for (;;) {
		const open = gens[gens.length - 1];
		let next = 0;
		for (let i = 0; i < open; i++)
			next += (rnd() < cfg.split_p && open + next - i <
			    bound) ? 2 : 1;
		if (count + next > n)
			break;
		gens.push(next);
		count += next;
	}
	if (n === 0)
		gens = [];
	const chain = n - gens.reduce((a, b) => a + b, 0);
	const steps = n + 1;
	let k = 0;
	const when = () => nowMs - span + (span * k++) / steps;
	let open = [];
	for (let i = 0; i < chain + (gens.length > 0 ? 1 : 0); i++) {
		const t = when();
		if (open.length > 0)
			closeShard(open[0], t);
		open = [newShard(st, open[0], 0, HASH_SPACE, t, true)];
	}
	for (let g = 1; g < gens.length; g++) {
		const t = when();
		const kids = [];
		let left = gens[g] - open.length;	/* splits to make */
		for (const p of open) {
			closeShard(p, t);
			const split = left > 0 && p.hi - p.lo >= 2;
			const ranges = split ? [[p.lo, p.lo +
			    Math.floor((p.hi - p.lo) / 2)], [p.lo +
			    Math.floor((p.hi - p.lo) / 2), p.hi]] :
			    [[p.lo, p.hi]];
			if (split)
				left--;
			for (const [lo, hi] of ranges)
				kids.push(newShard(st, p, lo, hi, t, true));
		}
		open = kids;
	}
	for (const p of open)
		closeShard(p, nowMs);
	return open;
}

function openStream(st) {
	const nowMs = simNow();
	const roots = cfg.prefill_shards > 0 ?
	    prefill(st, cfg.prefill_shards) : [];
	if (roots.length > 0) {
		for (const p of roots) {
			const n = Math.min(cfg.initial_shards,
			    Math.max(1, cfg.max_open_shards - st.open.length));
			for (let i = 0; i < n; i++) {
				const w = (p.hi - p.lo) / n;
				st.open.push(newShard(st, p,
				    p.lo + Math.floor(w * i),
				    i === n - 1 ? p.hi : p.lo +
				    Math.floor(w * (i + 1)), nowMs));
			}
		}
	} else {
		const n = cfg.initial_shards;
		for (let i = 0; i < n; i++)
			st.open.push(newShard(st, null,
			    Math.floor(HASH_SPACE / n * i),
			    i === n - 1 ? HASH_SPACE :
			    Math.floor(HASH_SPACE / n * (i + 1)), nowMs));
	}
	pickFakeParent(st);
	event('stream', { stream: st.arn, table: st.table,
	    shards: st.shards.length });
}

function pickFakeParent(st) {
	if (!cfg.unknown_parent) {
		st.fakeParent = null;
		return;
	}
	if (st.fakeParent && st.byId.has(st.fakeParent.shard))
		return;
	let pick = null;
	for (let i = st.shards.length - 1; i >= 0 && !pick; i--)
		if (st.shards[i].listed && st.shards[i].parent)
			pick = st.shards[i];
	if (!pick)
		pick = st.shards[st.shards.length - 1];
	if (!pick)
		return;
	// A later creation time than any shard has: it cannot have existed.
	st.fakeParent = { shard: pick.id, parent: 'shardId-' +
	    String(Date.now() + 86400000).padStart(20, '0') + '-deadbeef' };
	event('unknown_parent', { stream: st.arn, shard: pick.id,
	    parent: st.fakeParent.parent });
}

function hashOf(st, keys) {
	const v = keys[st.hashKey];
	const d = crypto.createHash('md5').update(JSON.stringify(v)).digest();
	return d.readUInt32BE(0);
}

function canonKeys(keys) {
	const o = {};
	for (const k of Object.keys(keys).sort())
		o[k] = keys[k];
	return JSON.stringify(o);
}

// Put one of DynamoDB Local's records into the tree.
function ingest(st, rec, readMs) {
	const keys = rec.dynamodb && rec.dynamodb.Keys;
	if (!keys || !keys[st.hashKey]) {
		stats.follower.errors++;
		stats.follower.last_error = 'record without its hash key';
		event('follower_error', { error: stats.follower.last_error });
		return;
	}
	const h = hashOf(st, keys);
	const sh = st.open.find((s) => h >= s.lo && h < s.hi);
	const own = Number(rec.dynamodb.ApproximateCreationDateTime) * 1000;
	let host = Number.isFinite(own) ? Math.min(readMs, own + 59999) :
	    readMs;
	host = Math.max(host, lastCreatedMs);
	lastCreatedMs = host;
	const created = host + cfg.skew_ms;
	const seq = seqNext++;
	rec.dynamodb.ApproximateCreationDateTime = Math.floor(created / 1000);
	rec.dynamodb.SequenceNumber = String(seq);
	const key = canonKeys(keys);
	if (rec.eventName === 'REMOVE' && (cfg.ttl_removes ||
	    ttlKeys.has(key)))
		rec.userIdentity = cfg.ttl_identity === 'model' ?
		    { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' } :
		    { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
	sh.recs.push({ seq, host, key, name: rec.eventName,
	    id: rec.eventID, json: JSON.stringify(rec) });
	sh.lastSeq = seq;
	stats.records.ingested++;
	if (sh.trimFirst > 0) {
		sh.trimFirst--;
		trimShard(sh, 1);
	}
}

// Drop the first n retained records of a shard (the trim horizon moves).
function trimShard(sh, n) {
	const upto = Math.min(sh.base + n, total(sh));
	if (upto <= sh.base)
		return 0;
	const did = upto - sh.base;
	sh.trimmedUpTo = recAt(sh, upto - 1).seq;
	for (let i = sh.base; i < upto; i++)
		sh.recs[i - sh.shift] = null;
	sh.base = upto;
	stats.records.trimmed += did;
	if (sh.base - sh.shift > 1024 && sh.base - sh.shift > sh.recs.length / 2) {
		sh.recs.splice(0, sh.base - sh.shift);
		sh.shift = sh.base;
	}
	return did;
}

// Retention: trim what is too old; closed shards with nothing left and
// nothing newer than the retention leave the stream. Ages are taken on the
// host's clock, so that a run-time skew change does not age records.
function retain() {
	const horizon = Date.now() - cfg.retention_ms;
	for (const st of streams.values()) {
		let removed = 0;
		for (const sh of st.shards) {
			if (!sh.listed)
				continue;
			let n = 0;
			while (sh.base + n < total(sh) &&
			    recAt(sh, sh.base + n).host < horizon)
				n++;
			if (n > 0) {
				trimShard(sh, n);
				event('trim', { shard: sh.id, count: n,
				    why: 'retention' });
			}
			if (sh.end !== null && sh.base === total(sh) &&
			    (total(sh) > 0 || sh.closedHost < horizon)) {
				sh.listed = false;
				st.byId.delete(sh.id);
				st.nGone++;
				st.goneList.push({ id: sh.id, parent: sh.parent,
				    start: String(sh.start), end: String(sh.end),
				    listed: false, created_ms: sh.createdMs,
				    closed_ms: sh.closedMs });
				removed++;
				event('gone', { shard: sh.id });
			}
		}
		if (removed > 0 && st.nGone > st.shards.length / 2) {
			st.shards = st.shards.filter((s) => s.listed);
			st.nGone = 0;
		}
		if (removed > 0)
			pickFakeParent(st);
	}
}

let ticks = 0;

function tick() {
	const now = Date.now();
	if (cfg.rollover_ms > 0)
		for (const st of streams.values()) {
			const due = st.open.filter((s) =>
			    now - s.createdHost >= cfg.rollover_ms);
			const nowMs = simNow();
			for (const sh of due)
				rollShard(st, sh, undefined, nowMs);
		}
	if (++ticks % 5 === 0)
		retain();
}

// ------------------------------------------------------------ wire

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function requestId() {
	return crypto.randomUUID();
}

function httpDate() {
	return new Date(simNow()).toUTCString();
}

function count(op) {
	stats.ops[op] = (stats.ops[op] || 0) + 1;
}

function delayOf(op) {
	if (cfg.delay_ms[op] !== undefined)
		return cfg.delay_ms[op];
	if (op === 'Scan')
		return cfg.scan_delay_ms;
	if (op === 'BatchWriteItem')
		return cfg.write_delay_ms;
	return 0;
}

function later(op, fn) {
	const ms = delayOf(op);
	if (ms <= 0)
		return fn();
	stats.delayed[op] = (stats.delayed[op] || 0) + 1;
	setTimeout(fn, ms);
}

function send(res, op, status, text) {
	const body = Buffer.from(text);
	later(op, () => {
		res.writeHead(status, {
			'Content-Type': 'application/x-amz-json-1.0',
			'x-amzn-RequestId': requestId(),
			'x-amz-crc32': String(zlib.crc32(body) >>> 0),
			'Date': httpDate(),
			'Content-Length': body.length });
		res.end(body);
	});
}

const namespaces = {
	ValidationException: 'com.amazon.coral.validate#',
	SerializationException: 'com.amazon.coral.service#',
	UnknownOperationException: 'com.amazon.coral.service#',
};

function fail(res, op, code, msg, status) {
	stats.errors[code] = (stats.errors[code] || 0) + 1;
	event('error', { op, code, msg });
	send(res, op, status || 400, JSON.stringify({ __type: (namespaces[code] ||
	    'com.amazonaws.dynamodb.v20120810#') + code, message: msg }));
}

function learnScope(req) {
	const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(
	    req.headers.authorization || '');
	if (!m)
		return null;
	const k = m[1] + '/' + m[2];
	if (!scopes.has(k))
		scopes.set(k, { akid: m[1], region: m[2] });
	return scopes.get(k);
}

// One request to DynamoDB Local: resolves to {status, headers, body}, or
// to {error} when no whole answer came.
function upstream(method, path, headers, body) {
	return new Promise((resolve) => {
		const q = http.request({ host: target.hostname,
		    port: target.port, method, path, headers, agent }, (r) => {
			const chunks = [];
			r.on('data', (c) => chunks.push(c));
			r.on('end', () => resolve({ status: r.statusCode,
			    headers: r.headers, body: Buffer.concat(chunks) }));
			r.on('error', (e) => resolve({ error: String(e) }));
			r.on('close', () => resolve({ error: 'closed early' }));
		});
		q.on('error', (e) => resolve({ error: String(e) }));
		q.setTimeout(30000, () => q.destroy(new Error('timeout')));
		q.end(body);
	});
}

// Forward a client's request to DynamoDB Local; the answer's Date is the
// simulated server's, the rest is relayed verbatim.
async function forward(req, res, op, body) {
	const u = await upstream(req.method, req.url, Object.assign({},
	    req.headers, { host: target.host }), body);
	if (u.error)
		return req.socket.destroy();
	later(op, () => {
		const h = Object.assign({}, u.headers);
		delete h['transfer-encoding'];
		h['content-length'] = u.body.length;
		h.date = httpDate();
		res.writeHead(u.status, h);
		res.end(u.body);
	});
}

// One call of the follower to DynamoDB Local, as the given scope:
// {ok: true, j} or {ok: false, code, msg}.
async function ddbl(scope, op, input) {
	const body = Buffer.from(JSON.stringify(input));
	const u = await upstream('POST', '/', {
		'Content-Type': 'application/x-amz-json-1.0',
		'X-Amz-Target': op,
		'X-Amz-Date': '20150830T123600Z',
		'Authorization': 'AWS4-HMAC-SHA256 Credential=' + scope.akid +
		    '/20150830/' + scope.region + '/dynamodb/aws4_request, ' +
		    'SignedHeaders=host, Signature=00',
		'Content-Length': body.length }, body);
	if (u.error)
		return { ok: false, code: 'network', msg: u.error };
	const text = u.body.toString('utf8');
	let j = null;
	try {
		j = JSON.parse(text);
	} catch (e) { /* reported below */ }
	if (u.status === 200 && j)
		return { ok: true, j };
	return { ok: false, code: j && j.__type ? j.__type.split('#').pop() :
	    'HTTP' + u.status, msg: text.slice(0, 200) };
}

function followerError(what, r) {
	stats.follower.errors++;
	stats.follower.last_error = `${what}: ${r.code} ${r.msg}`;
	event('follower_error', { error: stats.follower.last_error });
}

// ------------------------------------------------------------ follower

// Every stream of DynamoDB Local is read from its start; each of its
// shards keeps its own position (last sequence number read), so nothing
// is lost or read twice whatever fails in between.

async function describeAll(scope, arn) {
	let start, desc = null;
	const shards = [];
	do {
		const r = await ddbl(scope, TARGET_STREAMS + 'DescribeStream',
		    start ? { StreamArn: arn, ExclusiveStartShardId: start } :
		    { StreamArn: arn });
		if (!r.ok)
			return r;
		desc = r.j.StreamDescription;
		shards.push(...(desc.Shards || []));
		start = desc.LastEvaluatedShardId;
	} while (start);
	desc.Shards = shards;
	return { ok: true, desc };
}

// The stream, null when DynamoDB Local has no such stream, or a string
// that says why DynamoDB Local could not tell.
async function discover(scope, arn) {
	if (streams.has(arn))
		return streams.get(arn);
	const r = await describeAll(scope, arn);
	if (!r.ok) {
		if (r.code === 'ResourceNotFoundException')
			return null;
		followerError('DescribeStream ' + arn, r);
		return `DynamoDB Local answered DescribeStream with ${r.code}`;
	}
	if (streams.has(arn))		/* found meanwhile */
		return streams.get(arn);
	const st = newStream(arn, r.desc, scope);
	streams.set(arn, st);
	openStream(st);
	learnDdblShards(st, r.desc.Shards);
	return st;
}

function learnDdblShards(st, list) {
	for (const s of list)
		if (!st.ddbl.has(s.ShardId))
			st.ddbl.set(s.ShardId, { id: s.ShardId,
			    parent: s.ParentShardId || null, iter: null,
			    last: null, done: false });
	st.describedAt = Date.now();
}

// Read one of DynamoDB Local's shards to its tip (or its end).
async function drainDdblShard(st, p) {
	for (;;) {
		if (!p.iter) {
			const input = { StreamArn: st.arn, ShardId: p.id,
			    ShardIteratorType: p.last ? 'AFTER_SEQUENCE_NUMBER' :
			    'TRIM_HORIZON' };
			if (p.last)
				input.SequenceNumber = p.last;
			const r = await ddbl(st.scope, TARGET_STREAMS +
			    'GetShardIterator', input);
			if (!r.ok) {
				if (r.code === 'ResourceNotFoundException')
					st.describedAt = 0;
				return followerError('GetShardIterator ' + p.id, r);
			}
			p.iter = r.j.ShardIterator;
		}
		const r = await ddbl(st.scope, TARGET_STREAMS + 'GetRecords',
		    { ShardIterator: p.iter, Limit: RECORDS_MAX });
		if (!r.ok) {
			p.iter = null;
			if (r.code === 'ExpiredIteratorException')
				continue;
			return followerError('GetRecords ' + p.id, r);
		}
		const readMs = Date.now();
		const recs = r.j.Records || [];
		for (const rec of recs) {
			const s = rec.dynamodb && rec.dynamodb.SequenceNumber;
			if (!s || !/^[0-9]+$/.test(s)) {
				followerError('GetRecords ' + p.id,
				    { code: 'bad record', msg: '' });
				continue;
			}
			if (p.last && BigInt(s) <= BigInt(p.last)) {
				stats.follower.dups_skipped++;
				continue;
			}
			ingest(st, rec, readMs);
			p.last = s;
			stats.follower.records++;
		}
		p.iter = r.j.NextShardIterator || null;
		if (!p.iter) {
			p.done = true;
			st.describedAt = 0;	/* look for its children */
			return;
		}
		if (recs.length === 0)
			return;
	}
}

async function followStream(st) {
	if (Date.now() - st.describedAt > 2000) {
		const r = await describeAll(st.scope, st.arn);
		if (!r.ok) {
			if (r.code === 'ResourceNotFoundException')
				st.alive = false;
			else
				followerError('DescribeStream ' + st.arn, r);
			return;
		}
		learnDdblShards(st, r.desc.Shards);
	}
	// A child is read only once its parent is read to its end, so
	// DynamoDB Local's per-key order is kept.
	for (const p of st.ddbl.values()) {
		if (p.done)
			continue;
		const parent = p.parent && st.ddbl.get(p.parent);
		if (parent && !parent.done)
			continue;
		await drainDdblShard(st, p);
	}
}

async function followerPass() {
	if (scopes.size === 0) {
		const akid = process.env.AWS_ACCESS_KEY_ID;
		scopes.set('env', { akid: akid && /^[A-Za-z0-9]+$/.test(akid) ?
		    akid : 'AKIDEXAMPLE',
		    region: process.env.AWS_REGION || 'us-east-1' });
	}
	for (const scope of Array.from(scopes.values())) {
		let start;
		do {
			const r = await ddbl(scope, TARGET_STREAMS + 'ListStreams',
			    start ? { ExclusiveStartStreamArn: start } : {});
			if (!r.ok) {
				followerError('ListStreams', r);
				break;
			}
			for (const s of r.j.Streams || [])
				if (!streams.has(s.StreamArn))
					await discover(scope, s.StreamArn);
			start = r.j.LastEvaluatedStreamArn;
		} while (start);
	}
	for (const st of Array.from(streams.values()))
		if (st.alive)
			await followStream(st);
	stats.follower.passes++;
}

let passNo = 0, wake = null;
const passWaiters = [];

async function follow() {
	for (;;) {
		const n = ++passNo;
		const errors = stats.follower.errors;
		try {
			await followerPass();
		} catch (e) {
			followerError('pass', { code: 'exception',
			    msg: String(e.stack || e) });
		}
		// A pass that met an error may have stopped short of a tip.
		const clean = stats.follower.errors === errors;
		for (let i = passWaiters.length - 1; clean && i >= 0; i--)
			if (passWaiters[i].after < n) {
				passWaiters[i].resolve();
				passWaiters.splice(i, 1);
			}
		await new Promise((resolve) => {
			const t = setTimeout(resolve, passWaiters.length ? 0 :
			    cfg.poll_ms);
			wake = () => {
				clearTimeout(t);
				resolve();
			};
		});
		wake = null;
	}
}

// Resolves once a pass that started after now has finished without
// trouble, so every shard of DynamoDB Local was read to its tip.
function nextPass() {
	return new Promise((resolve) => {
		passWaiters.push({ after: passNo, resolve });
		if (wake)
			wake();
	});
}

// ------------------------------------------------------------ Streams API

// The stream a call names, found in DynamoDB Local if it is new; null
// once the call has been answered with an error.
async function streamFor(res, op, input, scope) {
	const arn = input.StreamArn;
	const st = streams.has(arn) ? streams.get(arn) :
	    await discover(scope || scopes.values().next().value, arn);
	if (typeof st === 'string') {
		fail(res, op, 'InternalServerError', st, 500);
		return null;
	}
	if (!st)
		fail(res, op, 'ResourceNotFoundException',
		    `Requested resource not found: Stream: ${arn} not found`);
	return st;
}

// First index in st.shards whose id sorts after id (ids sort by time).
function indexAfter(st, id) {
	let lo = 0, hi = st.shards.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if (st.shards[mid].id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

function shardJson(st, sh) {
	const o = { ShardId: sh.id };
	let parent = sh.parent;
	if (st.fakeParent && st.fakeParent.shard === sh.id)
		parent = st.fakeParent.parent;
	if (parent)
		o.ParentShardId = parent;
	o.SequenceNumberRange = { StartingSequenceNumber: String(sh.start) };
	if (sh.end !== null)
		o.SequenceNumberRange.EndingSequenceNumber = String(sh.end);
	return o;
}

async function describeStream(res, op, input, scope) {
	const st = await streamFor(res, op, input, scope);
	if (!st)
		return;
	let limit = PAGE_MAX;
	if (input.Limit !== undefined) {
		if (!Number.isInteger(input.Limit) || input.Limit < 1 ||
		    input.Limit > PAGE_MAX)
			return fail(res, op, 'ValidationException',
			    constraint(input.Limit, 'limit',
			    `have value between 1 and ${PAGE_MAX}`));
		limit = input.Limit;
	}
	let list;
	const filter = input.ShardFilter;
	if (filter && filter.Type === 'CHILD_SHARDS') {
		const p = st.byId.get(filter.ShardId);
		list = p ? p.children.map((id) => st.byId.get(id))
		    .filter((s) => s) : [];
	} else if (filter) {
		return fail(res, op, 'ValidationException',
		    'ShardFilter.Type must be CHILD_SHARDS');
	} else {
		list = st.shards;
	}
	let i = 0;
	if (input.ExclusiveStartShardId !== undefined && !cfg.describe_loop)
		i = filter ? list.findIndex((s) => s.id >
		    input.ExclusiveStartShardId) : indexAfter(st,
		    input.ExclusiveStartShardId);
	if (i < 0)
		i = list.length;
	const page = [];
	for (; i < list.length && page.length < limit; i++)
		if (list[i].listed)
			page.push(shardJson(st, list[i]));
	while (i < list.length && !list[i].listed)
		i++;
	if (cfg.duplicate_shard && page.length > 0)
		page.splice(1, 0, page[0]);
	const d = {
		StreamArn: st.arn, StreamLabel: st.label,
		StreamStatus: 'ENABLED', StreamViewType: st.viewType,
		CreationRequestDateTime: st.created, TableName: st.table,
		KeySchema: st.keySchema, Shards: page,
	};
	if (cfg.describe_loop && page.length > 0)
		d.LastEvaluatedShardId = page[page.length - 1].ShardId;
	else if (i < list.length)
		d.LastEvaluatedShardId = page[page.length - 1].ShardId;
	stats.describe_pages++;
	send(res, op, 200, JSON.stringify({ StreamDescription: d }));
}

const TRIMMED = 'The operation attempted to read past the oldest stream ' +
    'record in a shard';

// A ValidationException message in AWS's words.
function constraint(value, member, must) {
	return `1 validation error detected: Value '${value}' at '${member}' ` +
	    `failed to satisfy constraint: Member must ${must}`;
}

function seqOk(s) {
	return typeof s === 'string' && /^[0-9]{1,40}$/.test(s);
}

function makeIterator(st, sh, pos, reader) {
	const serial = ++iterSerial;
	stats.iterators.issued++;
	const inner = JSON.stringify({ i: instance, s: sh.id, p: pos,
	    t: Date.now(), n: serial, r: reader || serial,
	    x: crypto.randomBytes(9).toString('base64') });
	return st.arn + '|1|' + Buffer.from(inner).toString('base64');
}

function parseIterator(text) {
	if (typeof text !== 'string')
		return null;
	const at = text.lastIndexOf('|1|');
	if (at < 0)
		return null;
	let it;
	try {
		it = JSON.parse(Buffer.from(text.slice(at + 3), 'base64')
		    .toString('utf8'));
	} catch (e) {
		return null;
	}
	if (!it || it.i !== instance || typeof it.s !== 'string' ||
	    !Number.isInteger(it.p))
		return null;
	it.arn = text.slice(0, at);
	return it;
}

// The first position at or after sequence number s (after: strictly
// after), or -1 when that record has been trimmed.
function positionOf(sh, s, after) {
	if (sh.trimmedUpTo !== null &&
	    (after ? s < sh.trimmedUpTo : s <= sh.trimmedUpTo))
		return -1;
	let lo = sh.base, hi = total(sh);
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		const v = recAt(sh, mid).seq;
		if (after ? v <= s : v < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

async function getShardIterator(res, op, input, scope) {
	const st = await streamFor(res, op, input, scope);
	if (!st)
		return;
	const sh = st.byId.get(input.ShardId);
	if (!sh)
		return fail(res, op, 'ResourceNotFoundException',
		    `Requested resource not found: Shard does not exist`);
	const type = input.ShardIteratorType;
	let pos;
	switch (type) {
	case 'TRIM_HORIZON':
		pos = sh.base;
		break;
	case 'LATEST':
		pos = total(sh);
		break;
	case 'AT_SEQUENCE_NUMBER':
	case 'AFTER_SEQUENCE_NUMBER': {
		if (!seqOk(input.SequenceNumber))
			return fail(res, op, 'ValidationException',
			    `Invalid SequenceNumber: ${input.SequenceNumber} ` +
			    `(needed for ${type})`);
		const s = BigInt(input.SequenceNumber);
		// An open shard's own start is a position even before its
		// first record (AWS accepts AT its StartingSequenceNumber).
		let last = sh.end !== null ? sh.end : seqNext - 1n;
		if (last < sh.start)
			last = sh.start;
		if (s < sh.start || s > last)
			return fail(res, op, 'ValidationException',
			    `Invalid SequenceNumber ${input.SequenceNumber} ` +
			    `for shard ${sh.id}: not in its range ` +
			    `${sh.start}..${last}`);
		pos = positionOf(sh, s, type === 'AFTER_SEQUENCE_NUMBER');
		if (pos < 0)
			return fail(res, op, 'TrimmedDataAccessException',
			    `${TRIMMED}: sequence number ` +
			    `${input.SequenceNumber} of shard ${sh.id} has been trimmed`);
		break;
	}
	default:
		return fail(res, op, 'ValidationException',
		    constraint(type, 'shardIteratorType', 'satisfy enum value ' +
		    'set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, ' +
		    'TRIM_HORIZON]'));
	}
	stats.iterators.by_type[type] =
	    (stats.iterators.by_type[type] || 0) + 1;
	send(res, op, 200, JSON.stringify({ ShardIterator:
	    makeIterator(st, sh, pos) }));
}

function getRecords(res, op, input) {
	const it = parseIterator(input.ShardIterator);
	if (!it)
		return fail(res, op, 'ValidationException', 'Invalid ShardIterator');
	const st = streams.get(it.arn);
	if (!st)
		return fail(res, op, 'ResourceNotFoundException',
		    `Requested resource not found: Stream: ${it.arn} not found`);
	const sh = st.byId.get(it.s);
	if (!sh)
		return fail(res, op, 'ResourceNotFoundException',
		    'Requested resource not found: Shard does not exist');
	let limit = RECORDS_MAX;
	if (input.Limit !== undefined) {
		if (!Number.isInteger(input.Limit) || input.Limit < 1)
			return fail(res, op, 'ValidationException',
			    constraint(input.Limit, 'limit',
			    'have value greater than or equal to 1'));
		if (input.Limit > RECORDS_MAX)
			return fail(res, op, cfg.limit_error,
			    'One or more parameter values were invalid: ' +
			    'Limit should be less than or equal to 1000');
		limit = input.Limit;
	}
	if (sh.expireAfter !== null && sh.calls >= sh.expireAfter) {
		sh.expireSerial = iterSerial;
		sh.expireAfter = null;
		event('expire', { shard: sh.id, why: 'after_calls' });
	}
	sh.calls++;
	const now = Date.now();
	if (it.n <= sh.expireSerial || now - it.t > cfg.iterator_ttl_ms) {
		stats.iterators.expired++;
		return fail(res, op, 'ExpiredIteratorException',
		    'Iterator expired. The iterator was created at time ' +
		    new Date(it.t + cfg.skew_ms).toUTCString() +
		    ' while right now it is ' +
		    new Date(now + cfg.skew_ms).toUTCString() + ' which is ' +
		    'further in the future than the tolerated delay of ' +
		    `${cfg.iterator_ttl_ms} milliseconds.`);
	}
	if (it.p < sh.base)
		return fail(res, op, 'TrimmedDataAccessException',
		    `${TRIMMED}: the iterator of shard ${sh.id} points at a ` +
		    'trimmed record');
	if (cfg.max_readers > 0) {
		for (const [r, t] of sh.readers)
			if (now - t > cfg.readers_window_ms)
				sh.readers.delete(r);
		if (!sh.readers.has(it.r) && sh.readers.size >= cfg.max_readers)
			return fail(res, op, 'LimitExceededException',
			    `Too many readers on shard ${sh.id}`);
		sh.readers.set(it.r, now);
	}
	const parts = [];
	let p = it.p, bytes = 0;
	const end = total(sh);
	if (!(cfg.empty_page_p > 0 && p < end && rnd() < cfg.empty_page_p))
		while (p < end && parts.length < limit) {
			const j = recAt(sh, p).json;
			if (parts.length > 0 && bytes + j.length > PAGE_BYTES)
				break;
			parts.push(j);
			bytes += j.length;
			p++;
		}
	stats.records.served += parts.length;
	let next = '';
	const atEnd = sh.end !== null && p >= end &&
	    (cfg.end_page === 'with_records' || parts.length === 0);
	if (!atEnd)
		next = ',"NextShardIterator":' +
		    JSON.stringify(makeIterator(st, sh, p, it.r));
	send(res, op, 200, '{"Records":[' + parts.join(',') + ']' + next + '}');
}

// The members each call needs (strings).
const required = {
	DescribeStream: ['StreamArn'],
	GetShardIterator: ['StreamArn', 'ShardId', 'ShardIteratorType'],
	GetRecords: ['ShardIterator'],
};

async function streamsCall(req, res, op, body, scope) {
	let input;
	try {
		input = JSON.parse(body.toString('utf8') || '{}');
	} catch (e) {
		return fail(res, op, 'SerializationException',
		    'Start of structure or map found where not expected');
	}
	if (input === null || typeof input !== 'object')
		return fail(res, op, 'SerializationException',
		    'Start of structure or map found where not expected');
	for (const m of required[op] || [])
		if (typeof input[m] !== 'string' || input[m] === '')
			return fail(res, op, 'ValidationException',
			    constraint(input[m] === undefined ? null : input[m],
			    m[0].toLowerCase() + m.slice(1), 'not be null'));
	if (input.ExclusiveStartShardId !== undefined &&
	    typeof input.ExclusiveStartShardId !== 'string')
		return fail(res, op, 'ValidationException',
		    'ExclusiveStartShardId must be a string');
	switch (op) {
	case 'DescribeStream':
		return describeStream(res, op, input, scope);
	case 'GetShardIterator':
		return getShardIterator(res, op, input, scope);
	case 'GetRecords':
		return getRecords(res, op, input);
	case 'ListStreams':
		return forward(req, res, op, body);
	default:
		return fail(res, op, 'UnknownOperationException',
		    'An unknown operation was requested.');
	}
}

// ------------------------------------------------------------ control

function shardsView(q) {
	const out = [];
	for (const st of streams.values()) {
		if (q.get('stream') && q.get('stream') !== st.arn)
			continue;
		const list = [];
		for (const sh of st.shards) {
			if (!sh.listed)
				continue;
			const o = { id: sh.id, parent: sh.parent,
			    start: String(sh.start),
			    end: sh.end === null ? null : String(sh.end),
			    open: sh.end === null, listed: sh.listed,
			    prefill: sh.prefill, lo: sh.lo, hi: sh.hi,
			    records: total(sh), trimmed: sh.base,
			    created_ms: sh.createdMs, closed_ms: sh.closedMs,
			    children: sh.children };
			if (st.fakeParent && st.fakeParent.shard === sh.id)
				o.listed_parent = st.fakeParent.parent;
			if (sh.trimFirst > 0)
				o.trim_first = sh.trimFirst;
			if (q.get('records')) {
				o.recs = [];
				for (let i = sh.base; i < total(sh); i++) {
					const r = recAt(sh, i);
					o.recs.push([String(r.seq), r.key, r.name,
					    r.id]);
				}
			}
			list.push(o);
		}
		const o = { arn: st.arn, table: st.table, label: st.label,
		    open: st.open.map((s) => s.id), shards: list };
		if (q.get('gone'))
			o.gone = st.goneList;
		out.push(o);
	}
	return out;
}

function statsView() {
	let listed = 0, open = 0, prefilled = 0;
	for (const st of streams.values())
		for (const sh of st.shards) {
			if (!sh.listed)
				continue;
			listed++;
			if (sh.end === null)
				open++;
			if (sh.prefill)
				prefilled++;
		}
	return Object.assign({
		instance, seed, streams: streams.size,
		shards: { created: shardsCreated, listed, open,
		    closed: listed - open, prefilled,
		    gone: shardsCreated - listed },
		seq_next: String(seqNext),
		config: cfg,
		clock: { host_ms: Date.now(), sim_ms: simNow(),
		    skew_ms: cfg.skew_ms },
		scopes: Array.from(scopes.values()).map((s) =>
		    s.akid + '/' + s.region),
	}, stats);
}

function streamsFor(arg) {
	if (arg === undefined)
		return Array.from(streams.values());
	const st = streams.get(arg);
	return st ? [st] : null;
}

// The listed shards a control call names: {shard: ID}, {stream: ARN} or
// all; or what is wrong.
function shardsFor(input) {
	if (input.shard !== undefined) {
		for (const st of streams.values())
			if (st.byId.has(input.shard))
				return [st.byId.get(input.shard)];
		return 'no such shard';
	}
	const sts = streamsFor(input.stream);
	if (!sts)
		return 'no such stream';
	return [].concat(...sts.map((s) => s.shards.filter((x) => x.listed)));
}

async function control(req, res, body) {
	const u = new URL(req.url, 'http://x');
	const reply = (status, obj) => {
		const b = Buffer.from(JSON.stringify(obj) + '\n');
		res.writeHead(status, { 'Content-Type': 'application/json',
		    'Content-Length': b.length });
		res.end(b);
	};
	let input = {};
	if (req.method === 'POST' && body.length > 0) {
		try {
			input = JSON.parse(body.toString('utf8'));
		} catch (e) {
			return reply(400, { error: 'body is not JSON' });
		}
		if (input === null || typeof input !== 'object')
			return reply(400, { error: 'body must be an object' });
	}
	const route = req.method + ' ' + u.pathname;
	switch (route) {
	case 'GET /__stats':
		return reply(200, statsView());
	case 'GET /__shards':
		return reply(200, shardsView(u.searchParams));
	case 'GET /__log': {
		const b = Buffer.from(eventLog.map((e) =>
		    JSON.stringify(e) + '\n').join(''));
		res.writeHead(200, { 'Content-Type': 'text/plain',
		    'Content-Length': b.length });
		return res.end(b);
	}
	case 'POST /__config': {
		const why = configure(input);
		if (why)
			return reply(400, { error: why });
		event('config', { set: input });
		return reply(200, cfg);
	}
	case 'POST /__rollover': {
		const list = streamsFor(input.stream);
		if (!list)
			return reply(404, { error: 'no such stream' });
		if (input.split !== undefined &&
		    typeof input.split !== 'boolean')
			return reply(400, { error: 'split must be a boolean' });
		const before = stats.rollovers;
		for (const st of list)
			rollStream(st, input.split);
		return reply(200, { rolled: stats.rollovers - before });
	}
	case 'POST /__trim': {
		const n = input.count === undefined ? Infinity : input.count;
		if (n !== Infinity && !isInt(n, 1))
			return reply(400, { error: 'count must be >= 1' });
		if (input.next !== undefined) {
			if (!isInt(input.next, 1) || n === Infinity)
				return reply(400, { error:
				    'next needs a count of shards >= 1 and ' +
				    'a count of records' });
			for (let i = 0; i < input.next; i++)
				pendingTrims.push({ count: n });
			return reply(200, { planned: input.next });
		}
		const list = shardsFor(input);
		if (typeof list === 'string')
			return reply(404, { error: list });
		let did = 0;
		for (const sh of list) {
			const k = trimShard(sh, n === Infinity ? total(sh) : n);
			if (k > 0)
				event('trim', { shard: sh.id, count: k,
				    why: 'control' });
			did += k;
		}
		return reply(200, { trimmed: did });
	}
	case 'POST /__expire_iterators': {
		const list = shardsFor(input);
		if (typeof list === 'string')
			return reply(404, { error: list });
		if (input.after_calls !== undefined &&
		    !isInt(input.after_calls, 0))
			return reply(400, { error: 'after_calls must be >= 0' });
		for (const sh of list) {
			if (input.after_calls !== undefined) {
				sh.expireAfter = sh.calls + input.after_calls;
			} else {
				sh.expireSerial = iterSerial;
				event('expire', { shard: sh.id, why: 'control' });
			}
		}
		return reply(200, { shards: list.length });
	}
	case 'POST /__ttl':
		if (!Array.isArray(input.keys))
			return reply(400, { error: 'keys must be an array' });
		for (const k of input.keys)
			ttlKeys.add(canonKeys(k));
		return reply(200, { keys: ttlKeys.size });
	case 'POST /__sync':
		await nextPass();
		return reply(200, { passes: stats.follower.passes,
		    ingested: stats.records.ingested });
	case 'POST /__reset':
		resetStats();
		return reply(200, {});
	default:
		return reply(404, { error: `no control ${route}` });
	}
}

// ------------------------------------------------------------ server

function handle(req, res, body) {
	if (req.url.startsWith('/__'))
		return control(req, res, body).catch((e) => {
			res.writeHead(500);
			res.end(String(e.stack || e));
		});
	const tgt = req.headers['x-amz-target'] || '';
	const op = tgt.slice(tgt.indexOf('.') + 1);
	count(op || '(none)');
	const scope = learnScope(req);
	if (tgt.startsWith(TARGET_STREAMS))
		return streamsCall(req, res, op, body, scope).catch((e) => {
			event('exception', { op, error: String(e.stack || e) });
			fail(res, op, 'InternalServerError', String(e), 500);
		});
	forward(req, res, op, body);
}

function main() {
	parseArgs(process.argv.slice(2));
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => handle(req, res, Buffer.concat(chunks)));
	});
	server.keepAliveTimeout = 60000;
	setInterval(tick, 50).unref();
	// The streams that exist at start are found (and prefilled) before
	// anyone is told the port.
	let told = false;
	const tell = () => {
		if (told)
			return;
		told = true;
		server.listen(listenPort, '127.0.0.1', () => {
			const port = server.address().port;
			if (portFile) {
				fs.writeFileSync(portFile + '.tmp', port + '\n');
				fs.renameSync(portFile + '.tmp', portFile);
			} else {
				console.log(port);
			}
		});
	};
	nextPass().then(tell);
	setTimeout(tell, 10000).unref();
	follow();
}

main();
