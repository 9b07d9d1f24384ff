#!/usr/bin/env node
// report.js: medians (with min and max) of bench/run.sh's results, and the
// targets of the performance issue checked against them. Markdown out.
'use strict';
const lines = require('fs').readFileSync(process.argv[2], 'utf8').trim()
    .split('\n').filter(Boolean).map(JSON.parse);
const groups = new Map();
for (const l of lines) {
	const k = l.bench + ' ' + l.metric;
	if (!groups.has(k))
		groups.set(k, []);
	groups.get(k).push(l.value);
}
function med(v) {
	const s = [...v].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function fmt(x) {
	if (Math.abs(x) >= 100) return Math.round(x).toString();
	if (Math.abs(x) >= 1) return x.toFixed(2);
	return x.toFixed(3);
}
const names = {
	'ceiling W': 'endpoint BatchWriteItem ceiling W (items/s)',
	'ceiling S': 'endpoint parallel Scan ceiling S (items/s)',
	'ceiling C': 'copy ceiling C = 1/(1/W+1/S) (items/s)',
	'backfill items_per_s': 'ddb-sync backfill (items/s)',
	'backfill ratio_to_C': 'ddb-sync backfill / C',
	'backfill cpu_per_100k': 'ddb-sync CPU s per 100k items (supervisor+worker)',
	'backfill server_cpu': 'DynamoDB Local CPU s during the ddb-sync copy',
	'backfill worker_rss_kib': 'ddb-sync worker peak RSS (KiB)',
	'backfill supervisor_rss_kib': 'ddb-sync supervisor peak RSS (KiB)',
	'backfill equal': 'ddb-sync copy equal to source (1 = yes)',
	'backfill_nocap items_per_s': 'ddb-sync backfill, no consumed capacity (items/s)',
	'backfill_nocap ratio_to_C': 'ddb-sync backfill, no consumed capacity / C',
	'backfill_nocap cpu_per_100k': 'ddb-sync, no consumed capacity: CPU s per 100k items',
	'backfill_nocap server_cpu': 'DynamoDB Local CPU s during the ddb-sync copy, no consumed capacity',
	'backfill_nocap worker_rss_kib': 'ddb-sync worker peak RSS, no consumed capacity (KiB)',
	'backfill_nocap supervisor_rss_kib': 'ddb-sync supervisor peak RSS, no consumed capacity (KiB)',
	'backfill_nocap equal': 'ddb-sync copy, no consumed capacity, equal to source (1 = yes)',
	'cdt items_per_s': 'copy-dynamodb-table (items/s)',
	'cdt cpu_per_100k': 'copy-dynamodb-table CPU s per 100k items',
	'cdt server_cpu': 'DynamoDB Local CPU s during the copy-dynamodb-table copy',
	'cdt rss_kib': 'copy-dynamodb-table peak RSS (KiB)',
	'cdt equal': 'copy-dynamodb-table copy equal to source (1 = yes)',
	'compare items_per_s_ratio': 'items/s ratio ddb-sync / copy-dynamodb-table',
	'compare cpu_per_item_ratio': 'CPU per item ratio ddb-sync / copy-dynamodb-table',
	'compare items_per_s_ratio_nocap': 'items/s ratio ddb-sync (no consumed capacity) / copy-dynamodb-table',
	'compare cpu_per_item_ratio_nocap': 'CPU per item ratio ddb-sync (no consumed capacity) / copy-dynamodb-table',
	'stream changes_per_s': 'stream apply (changes/s)',
	'stream W': 'write ceiling in the stream run (items/s)',
	'stream ratio_to_W': 'stream apply / write ceiling W',
	'stream R': 'endpoint GetRecords rate R, same records (records/s)',
	'stream ratio_to_CS': 'stream apply / (1/(1/W+1/R))',
	'stream equal': 'stream copy equal to source (1 = yes)',
	'stream_nocap changes_per_s': 'stream apply, no consumed capacity (changes/s)',
	'stream_nocap ratio_to_W': 'stream apply, no consumed capacity / W',
	'stream_nocap ratio_to_CS': 'stream apply, no consumed capacity / (1/(1/W+1/R))',
	'stream_nocap equal': 'stream copy, no consumed capacity, equal to source (1 = yes)',
	'instant items_per_s': 'fake answering at once, 8 in flight (items/s; client-bound)',
	'instant cpu_per_100k': 'fake answering at once: ddb-sync CPU s per 100k items',
	'instant_https items_per_s': 'fake answering at once, over https (items/s; bound by the TLS front)',
	'instant_https cpu_per_100k': 'fake answering at once, over https: ddb-sync CPU s per 100k items',
	'compare https_cpu_ratio_instant': 'CPU per item ratio https / http, fake answering at once',
	'backfill_https items_per_s': 'ddb-sync backfill over https (items/s)',
	'backfill_https cpu_per_100k': 'ddb-sync over https: CPU s per 100k items (supervisor+worker)',
	'backfill_https server_cpu': 'DynamoDB Local CPU s during the https copy',
	'backfill_https worker_rss_kib': 'ddb-sync worker peak RSS over https (KiB)',
	'backfill_https supervisor_rss_kib': 'ddb-sync supervisor peak RSS over https (KiB)',
	'backfill_https ratio_to_C': 'ddb-sync backfill over https / C',
	'backfill_https equal': 'ddb-sync copy over https equal to source (1 = yes)',
	'compare https_cpu_ratio': 'CPU per item ratio https / http (DynamoDB Local copy)',
	'spool changes_per_s': 'stream apply from a full spool (changes/s)',
	'spool W': 'write ceiling in the spool run (items/s)',
	'spool ratio_to_W': 'stream apply from a full spool / W',
	'spool equal': 'spool copy equal to source (1 = yes)',
	'spool_nocap changes_per_s': 'stream apply from a full spool, no consumed capacity (changes/s)',
	'spool_nocap ratio_to_W': 'stream apply from a full spool, no consumed capacity / W',
	'spool_nocap equal': 'spool copy, no consumed capacity, equal to source (1 = yes)',
	'scale worker_rss_kib': 'worker peak RSS at 1M items (KiB)',
	'scale items_per_s': 'backfill at 1M items (items/s)',
};
const out = ['| measure | median | min | max | runs |',
    '|---|---:|---:|---:|---:|'];
for (const [k, v] of groups) {
	const label = names[k] || (k.startsWith('latency_k') ?
	    '10 ms endpoint, ' + k.split(' ')[0].slice(9) + ' in flight: ' +
	    (k.endsWith('ratio_to_bound') ? 'items/s / (in flight x 25 / 10 ms)' :
	    'items/s') : k);
	out.push(`| ${label} | ${fmt(med(v))} | ${fmt(Math.min(...v))} | ` +
	    `${fmt(Math.max(...v))} | ${v.length} |`);
}
const get = (k) => groups.has(k) ? med(groups.get(k)) : NaN;
const targets = [
	['backfill items/s >= 0.8 x C', get('backfill ratio_to_C'), (x) => x >= 0.8],
	['backfill items/s >= 0.8 x C, no consumed capacity', get('backfill_nocap ratio_to_C'), (x) => x >= 0.8],
	['backfill items/s >= 2.5 x copy-dynamodb-table', get('compare items_per_s_ratio'), (x) => x >= 2.5],
	['backfill items/s >= 2.5 x copy-dynamodb-table, no consumed capacity', get('compare items_per_s_ratio_nocap'), (x) => x >= 2.5],
	['CPU per item <= 1/8 of copy-dynamodb-table', get('compare cpu_per_item_ratio'), (x) => x <= 0.125],
	['CPU per item <= 1/8 of copy-dynamodb-table, no consumed capacity', get('compare cpu_per_item_ratio_nocap'), (x) => x <= 0.125],
	['worker peak RSS <= 64 MB at 1M items', get('scale worker_rss_kib') / 1024, (x) => x <= 64],
	['stream apply >= 0.8 x write ceiling W', get('stream ratio_to_W'), (x) => x >= 0.8],
	['stream apply >= 0.8 x write ceiling W, no consumed capacity', get('stream_nocap ratio_to_W'), (x) => x >= 0.8],
	['stream apply from a full spool >= 0.8 x W', get('spool ratio_to_W'), (x) => x >= 0.8],
	['stream apply from a full spool >= 0.8 x W, no consumed capacity', get('spool_nocap ratio_to_W'), (x) => x >= 0.8],
	['stream apply >= 0.8 x read+write ceiling 1/(1/W+1/R)', get('stream ratio_to_CS'), (x) => x >= 0.8],
	['stream apply >= 0.8 x read+write ceiling, no consumed capacity', get('stream_nocap ratio_to_CS'), (x) => x >= 0.8],
	['10 ms endpoint: >= 0.9 x (8 x 25 / 10 ms)', get('latency_k8 ratio_to_bound'), (x) => x >= 0.9],
	['10 ms endpoint: >= 0.9 x (16 x 25 / 10 ms)', get('latency_k16 ratio_to_bound'), (x) => x >= 0.9],
];
out.push('', '| target | measured (median) | met |', '|---|---:|---|');
for (const [name, v, ok] of targets)
	out.push(`| ${name} | ${isNaN(v) ? 'not run' : fmt(v)} | ${isNaN(v) ? '-' : ok(v) ? 'yes' : 'NO'} |`);
console.log(out.join('\n'));
