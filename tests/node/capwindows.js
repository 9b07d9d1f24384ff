#!/usr/bin/env node
// capwindows.js: consumed capacity per time window, from the fault proxy's
// /__stats (its "consumed" per-second sums), for the governor scenarios.
//
//   capwindows.js STATS_FILE KEY WINDOW_S [--skip S] [--from SEC] [--to SEC]
//
// KEY is "BatchWriteItem:TABLE" (or "Scan:TABLE"). The span runs from the
// first second with capacity (or --from, a Unix second) plus --skip seconds
// to the second before the last one with capacity (its last second is
// partial) or --to. Every window of WINDOW_S whole seconds inside the span
// is averaged (seconds without answers count as 0). Prints JSON: {first,
// last, from, to, windows, min, max, total, series: [units per second over
// the span]}; windows 0 (min and max null) when the span is too short.
'use strict';

const fs = require('fs');

const argv = process.argv.slice(2);
function opt(name) {
	const i = argv.indexOf('--' + name);
	return i >= 0 ? Number(argv[i + 1]) : undefined;
}
const stats = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
const key = argv[1];
const win = Number(argv[2]);
const w = (stats.consumed || {})[key] || {};
const secs = Object.keys(w).map(Number).sort((a, b) => a - b);
const out = { first: null, last: null, from: null, to: null, windows: 0,
    min: null, max: null, total: 0, series: [] };
for (const s of secs)
	out.total += w[s];
if (secs.length > 0) {
	out.first = secs[0];
	out.last = secs[secs.length - 1];
	const from = (opt('from') !== undefined ? opt('from') : out.first) +
	    (opt('skip') || 0);
	const to = opt('to') !== undefined ? opt('to') : out.last - 1;
	out.from = from;
	out.to = to;
	for (let s = from; s <= to; s++)
		out.series.push(Math.round((w[s] || 0) * 10) / 10);
	for (let s = from; s + win - 1 <= to; s++) {
		let sum = 0;
		for (let k = s; k < s + win; k++)
			sum += w[k] || 0;
		const avg = sum / win;
		out.windows++;
		if (out.min === null || avg < out.min)
			out.min = Math.round(avg * 10) / 10;
		if (out.max === null || avg > out.max)
			out.max = Math.round(avg * 10) / 10;
	}
}
console.log(JSON.stringify(out));
