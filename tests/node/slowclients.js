// slowclients.js: hold N idle connections and one that sends a request a
// byte per second to a loopback HTTP server, for the metrics_http scenario.
// Usage: node slowclients.js PORT N SECONDS; prints "ready" once every
// connection is open, then "done OPEN" (connections the server still held
// open when the time was up) and exits.
'use strict';
const net = require('net');
const [port, n, secs] = process.argv.slice(2).map(Number);
const socks = [];
let open = 0, closed = 0;
function conn(cb) {
	const s = net.connect(port, '127.0.0.1', () => { open++; cb(s); });
	s.on('error', () => {});
	s.on('close', () => { closed++; });
	socks.push(s);
}
const req = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'y'.repeat(200) +
    '\r\n\r\n';
let idle = 0;
for (let i = 0; i < n; i++)
	conn(() => { if (++idle === n) start(); });
function start() {
	conn((s) => {
		let i = 0;
		const t = setInterval(() => {
			if (i < req.length && !s.destroyed)
				s.write(req[i++]);
		}, 1000);
		t.unref();
		process.stdout.write('ready\n');
		setTimeout(() => {
			process.stdout.write('done ' + (open - closed) + '\n');
			for (const x of socks)
				x.destroy();
			process.exit(0);
		}, secs * 1000);
	});
}
