// Runs chrono-node (the en or fr parser, by the case's language) on every
// case of Convene's understanding corpus and maps its first result to the
// date and time fields of the `convene understand` contract, as well as
// chrono allows: a result with a known hour is a point (start_time, and
// end_time when chrono found an end); a result without an hour is a day, or
// a range of days, and becomes a window [00:00, 00:00 after the last day).
// chrono has no windows for parts of the day, no recurrences and no idea
// which date of an e-mail is the proposed one: it reads the first.
//
// Usage: node chrono.js ../corpus.jsonl   (driven by chrono_test.go)
// Prints one JSON line per case: {id, start_time, end_time, window}, and the
// parse rate on standard error.
'use strict';
const fs = require('fs');
const chrono = require('chrono-node');

const cases = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// offsetMinutes returns the UTC offset of zone at instant ms.
function offsetMinutes(ms, zone) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
}

// rfc3339 formats instant ms with the offset in force in zone, as Go does
// ("Z" for a zero offset).
function rfc3339(ms, zone) {
  const off = offsetMinutes(ms, zone);
  const d = new Date(ms + off * 60000);
  const pad = (n) => String(n).padStart(2, '0');
  let s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (off === 0) return s + 'Z';
  const a = Math.abs(off);
  return s + (off < 0 ? '-' : '+') + pad(Math.floor(a / 60)) + ':' + pad(a % 60);
}

// midnight returns the instant of 00:00 on y-m-d in zone.
function midnight(y, m, d, zone) {
  const wall = Date.UTC(y, m - 1, d);
  let u = wall - offsetMinutes(wall, zone) * 60000;
  u = wall - offsetMinutes(u, zone) * 60000;
  return u;
}

function dayAfter(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

// A first pass warms the JIT; the second is timed and printed.
let out = [];
let parsed = 0;
let t0 = process.hrtime.bigint();
for (let pass = 0; pass < 2; pass++) {
out = [];
parsed = 0;
t0 = process.hrtime.bigint();
for (const c of cases) {
  const now = new Date(c.now);
  const parser = c.lang === 'fr' ? chrono.fr : chrono.en;
  const ref = { instant: now, timezone: offsetMinutes(now.getTime(), c.timezone) };
  let results = [];
  try {
    results = parser.parse(c.plain, ref, { forwardDate: true });
  } catch (e) {
    results = [];
  }
  parsed++;
  const line = { id: c.id, start_time: null, end_time: null, window: null };
  const r = results[0];
  if (r) {
    const s = r.start;
    if (s.isCertain('hour')) {
      line.start_time = rfc3339(s.date().getTime(), c.timezone);
      if (r.end && r.end.isCertain('hour')) line.end_time = rfc3339(r.end.date().getTime(), c.timezone);
    } else {
      const from = midnight(s.get('year'), s.get('month'), s.get('day'), c.timezone);
      const e = r.end || s;
      const [y2, m2, d2] = dayAfter(e.get('year'), e.get('month'), e.get('day'));
      line.window = { from: rfc3339(from, c.timezone), to: rfc3339(midnight(y2, m2, d2, c.timezone), c.timezone) };
    }
  }
  out.push(JSON.stringify(line));
}
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(out.join('\n') + '\n');
const version = JSON.parse(fs.readFileSync(require('path').join(__dirname, 'node_modules', 'chrono-node', 'package.json'), 'utf8')).version;
process.stderr.write(`chrono-node ${version}: ${parsed} texts in ${secs.toFixed(3)} s (${Math.round(parsed / secs)} texts/s, one core)\n`);
