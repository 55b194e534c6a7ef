// Runs Microsoft's own JavaScript Graph client (@microsoft/microsoft-graph-client)
// against Convene's Graph sandbox; driven by client_test.go, which serves the
// sandbox over TLS (the client sends its token to https hosts only) and
// passes SANDBOX_URL, TENANT, CLIENT_ID, CLIENT_SECRET and NODE_EXTRA_CA_CERTS.
"use strict";
const assert = require("node:assert/strict");
const http = require("node:http");
const { Client, PageIterator, BatchRequestContent, BatchResponseContent } = require("@microsoft/microsoft-graph-client");

const base = process.env.SANDBOX_URL;
const tenant = process.env.TENANT;
const ann = "ann@example.com";
const bob = "bob@example.com";

function log(...args) { console.log(...args); }

// A client-credentials token from the sandbox's identity platform.
async function clientCredentials() {
  const res = await fetch(`${base}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials", client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET, scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, "Bearer");
  return body.access_token;
}

async function control(method, path, body) {
  const res = await fetch(`${base}/_sandbox${path}`, {
    method, headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return res.status === 204 ? null : JSON.parse(text);
}

// The notification endpoint: echoes validation tokens, records notifications.
function receiver() {
  const got = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, "http://x");
    const token = u.searchParams.get("validationToken");
    if (token !== null) {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(token);
      return;
    }
    let data = "";
    req.on("data", (c) => { data += c; });
    req.on("end", () => {
      res.writeHead(202);
      res.end();
      for (const n of JSON.parse(data).value) got.push(n);
      while (waiters.length) waiters.shift()();
    });
  });
  const until = (pred, ms) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no notification in time: " + JSON.stringify(got))), ms);
    const check = () => {
      const n = got.find(pred);
      if (n) { clearTimeout(t); resolve(n); } else waiters.push(check);
    };
    check();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, got, until })));
}

function event(subject, start, end, extra) {
  return Object.assign({
    subject,
    start: { dateTime: start, timeZone: "UTC" },
    end: { dateTime: end, timeZone: "UTC" },
  }, extra || {});
}

async function main() {
  const token = await clientCredentials();
  let tokenAsked = 0;
  const client = Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => { tokenAsked++; return token; } },
    baseUrl: base + "/",
    defaultVersion: "v1.0",
    customHosts: new Set([new URL(base).hostname]),
  });

  // Users and mailbox settings.
  await control("POST", "/users", { mail: bob, displayName: "Bob Jones", timeZone: "Pacific Standard Time" });
  const me = await client.api(`/users/${ann}`).get();
  assert.equal(me.mail, ann);
  const mbx = await client.api(`/users/${bob}/mailboxSettings`).get();
  assert.equal(mbx.timeZone, "Pacific Standard Time");
  assert.deepEqual(mbx.workingHours.daysOfWeek, ["monday", "tuesday", "wednesday", "thursday", "friday"]);
  log("users and mailboxSettings: ok");

  // A subscription with the validation handshake, before the changes.
  const rcv = await receiver();
  const port = rcv.server.address().port;
  const sub = await client.api("/subscriptions").post({
    changeType: "created,updated,deleted",
    notificationUrl: `http://127.0.0.1:${port}/notify`,
    resource: `/users/${ann}/events`,
    expirationDateTime: new Date(Date.now() + 3600e3).toISOString(),
    clientState: "client-state-1",
  });
  assert.ok(sub.id);
  const renewed = await client.api(`/subscriptions/${sub.id}`).patch({ expirationDateTime: new Date(Date.now() + 2 * 86400e3).toISOString() });
  assert.ok(new Date(renewed.expirationDateTime) > new Date(Date.now() + 86400e3));
  log("subscription created and renewed: ok");

  // Event create, update, delete through the client; the changes notify.
  const created = await client.api(`/users/${ann}/events`).post(event("Booked", "2030-01-07T09:00:00", "2030-01-07T10:00:00", {
    isOnlineMeeting: true, onlineMeetingProvider: "teamsForBusiness", transactionId: "booking-42",
    attendees: [{ type: "required", emailAddress: { address: "guest@guest.test", name: "Guest" } }],
  }));
  assert.ok(created.onlineMeeting.joinUrl.startsWith(base + "/l/meetup-join/"));
  await rcv.until((n) => n.changeType === "created" && n.resourceData.id === created.id, 10000);
  const updated = await client.api(`/users/${ann}/events/${created.id}`).patch({ subject: "Booked (moved)",
    start: { dateTime: "2030-01-07T11:00:00", timeZone: "UTC" }, end: { dateTime: "2030-01-07T12:00:00", timeZone: "UTC" } });
  assert.equal(updated.subject, "Booked (moved)");
  const upd = await rcv.until((n) => n.changeType === "updated" && n.resourceData.id === created.id, 10000);
  assert.equal(upd.clientState, "client-state-1");
  assert.equal(upd.subscriptionId, sub.id);
  await client.api(`/users/${ann}/events/${created.id}`).delete();
  await rcv.until((n) => n.changeType === "deleted", 10000);
  await assert.rejects(client.api(`/users/${ann}/events/${created.id}`).get(), (e) => e.statusCode === 404 && e.code === "ErrorItemNotFound");
  log("event create, update, delete and their notifications: ok");

  // An event made "in Outlook" (test control) reaches the receiver too.
  const outlook = await control("POST", `/users/${ann}/events`, event("Dentist", "2030-01-08T09:00:00", "2030-01-08T10:00:00", { showAs: "oof" }));
  await rcv.until((n) => n.changeType === "created" && n.resourceData.id !== created.id, 10000);

  // getSchedule: a recurring series, a tentative and an out-of-office.
  await client.api(`/users/${bob}/events`).post(event("Weekly", "2030-01-07T16:00:00", "2030-01-07T17:00:00", {
    recurrence: { pattern: { type: "weekly", interval: 1, daysOfWeek: ["monday", "wednesday"] },
      range: { type: "numbered", startDate: "2030-01-07", numberOfOccurrences: 4 } } }));
  await client.api(`/users/${bob}/events`).post(event("Maybe", "2030-01-08T16:00:00", "2030-01-08T17:00:00", { showAs: "tentative" }));
  const sched = await client.api(`/users/${ann}/calendar/getSchedule`).post({
    schedules: [ann, bob],
    startTime: { dateTime: "2030-01-07T00:00:00", timeZone: "UTC" },
    endTime: { dateTime: "2030-01-10T00:00:00", timeZone: "UTC" },
    availabilityViewInterval: 1440,
  });
  assert.equal(sched.value.length, 2);
  assert.equal(sched.value[0].availabilityView, "030", "ann: oof on the 8th");
  assert.equal(sched.value[1].availabilityView, "212", "bob: series Mon and Wed, tentative Tue");
  assert.equal(sched.value[1].scheduleItems.length, 3);
  log("getSchedule: ok", sched.value.map((s) => s.availabilityView).join(" "));

  // Delta paging to the deltaLink with the client's PageIterator.
  for (let i = 0; i < 12; i++) {
    const d = String(10 + i);
    await control("POST", `/users/${ann}/events`, event(`Seed ${i}`, `2030-02-${d}T09:00:00`, `2030-02-${d}T09:30:00`));
  }
  const first = await client.api(`/users/${ann}/calendarView/delta`)
    .query({ startDateTime: "2030-01-01T00:00:00Z", endDateTime: "2030-03-01T00:00:00Z" })
    .header("Prefer", "odata.maxpagesize=5").get();
  let seen = 0;
  const it = new PageIterator(client, first, () => { seen++; return true; }, { headers: { Prefer: "odata.maxpagesize=5" } });
  await it.iterate();
  assert.equal(seen, 13, "12 seeded and the dentist");
  const deltaLink = it.getDeltaLink();
  assert.ok(deltaLink && deltaLink.includes("$deltatoken="), String(deltaLink));
  await control("DELETE", `/users/${ann}/events/${outlook.id}`);
  const changes = await client.api(deltaLink).get();
  assert.equal(changes.value.length, 1);
  assert.equal(changes.value[0]["@removed"].reason, "deleted");
  await control("POST", "/delta/reset");
  await assert.rejects(client.api(changes["@odata.deltaLink"]).get(), (e) => e.statusCode === 410 && e.code === "syncStateNotFound");
  log("delta paging, changes and reset: ok", seen, "items");

  // A JSON batch with dependsOn.
  const batch = new BatchRequestContent([
    { id: "1", request: new Request(`${base}/users/${ann}/events`, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(event("Batched", "2030-01-09T09:00:00", "2030-01-09T10:00:00")) }) },
    { id: "2", request: new Request(`${base}/users/${bob}/mailboxSettings`, { method: "GET" }), dependsOn: ["1"] },
  ]);
  const batchResp = new BatchResponseContent(await client.api("/$batch").post(await batch.getContent()));
  assert.equal(batchResp.getResponseById("1").status, 201);
  assert.equal((await batchResp.getResponseById("2").json()).timeZone, "Pacific Standard Time");
  log("$batch: ok");

  // 429 then 503 with Retry-After: the client's RetryHandler waits and retries; one event results.
  await control("POST", "/faults", { status: 429, times: 1, retryAfter: 1, path: `/v1.0/users/${bob}/events`, method: "POST" });
  await control("POST", "/faults", { status: 503, times: 1, retryAfter: 1, path: `/v1.0/users/${bob}/events`, method: "POST" });
  const t0 = Date.now();
  const retried = await client.api(`/users/${bob}/events`).post(event("After faults", "2030-01-10T09:00:00", "2030-01-10T10:00:00"));
  assert.ok(Date.now() - t0 >= 1900, "the client waited out both Retry-After headers");
  const list = await client.api(`/users/${bob}/calendarView`).query({ startDateTime: "2030-01-10T00:00:00Z", endDateTime: "2030-01-11T00:00:00Z" }).get();
  assert.deepEqual(list.value.map((e) => e.id), [retried.id]);
  assert.equal((await control("GET", "/faults")).faults.length, 0);
  log("429 and 503 retried by RetryHandler: ok, one event");

  // Online meetings: createOrGet is idempotent by externalId.
  const m1 = await client.api(`/users/${ann}/onlineMeetings/createOrGet`).post({ externalId: "booking-7", subject: "Teams",
    startDateTime: "2030-01-07T09:00:00Z", endDateTime: "2030-01-07T10:00:00Z" });
  const m2 = await client.api(`/users/${ann}/onlineMeetings/createOrGet`).post({ externalId: "booking-7", subject: "Teams",
    startDateTime: "2030-01-07T09:00:00Z", endDateTime: "2030-01-07T10:00:00Z" });
  assert.equal(m1.id, m2.id);
  assert.ok(m1.joinWebUrl && m1.audioConferencing.conferenceId && m1.videoTeleconferenceId);
  await client.api(`/users/${ann}/onlineMeetings/${m1.id}`).delete();
  log("onlineMeetings: ok");

  await client.api(`/subscriptions/${sub.id}`).delete();
  rcv.server.close();
  assert.ok(tokenAsked > 0);
  log("all done");
}

main().catch((e) => { console.error(e); process.exit(1); });
