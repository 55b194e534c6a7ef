// Google's Node client (@googleapis/calendar) against the Google sandbox:
// run by node_test.go with SANDBOX_URL (the sandbox's root), ACCESS_TOKEN
// (a token from the sandbox for USER) and USER. Exits non-zero on the
// first difference from what Google's contract says.
'use strict';
const assert = require('node:assert/strict');
const {calendar, auth} = require('@googleapis/calendar');

const base = process.env.SANDBOX_URL;
const user = process.env.USER_EMAIL;
const oauth2 = new auth.OAuth2();
oauth2.setCredentials({access_token: process.env.ACCESS_TOKEN});
const cal = calendar({version: 'v3', auth: oauth2, rootUrl: base + '/'});

async function control(method, path, body) {
  const res = await fetch(base + '/_sandbox' + path, {
    method, headers: {'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

async function expectError(promise, status, reason) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.status ?? err.code, status, `status of ${err.message}`);
    if (reason) assert.equal(err.errors[0].reason, reason);
    return;
  }
  assert.fail(`expected ${status} ${reason}`);
}

async function main() {
  // Insert with a Meet conference and a client-given id.
  const requestBody = {
    id: 'nodeclient0001', summary: 'from node',
    start: {dateTime: '2030-01-07T09:00:00+01:00', timeZone: 'Europe/Paris'},
    end: {dateTime: '2030-01-07T10:00:00+01:00', timeZone: 'Europe/Paris'},
    attendees: [{email: user}, {email: 'guest@other.test'}],
    conferenceData: {createRequest: {requestId: 'node-1', conferenceSolutionKey: {type: 'hangoutsMeet'}}},
  };
  const ins = await cal.events.insert({calendarId: 'primary', conferenceDataVersion: 1, sendUpdates: 'all', requestBody});
  assert.equal(ins.status, 200);
  const ev = ins.data;
  assert.equal(ev.id, 'nodeclient0001');
  assert.equal(ev.conferenceData.createRequest.status.statusCode, 'success');
  assert.equal(ev.conferenceData.conferenceSolution.key.type, 'hangoutsMeet');
  assert.ok(ev.hangoutLink.endsWith(ev.conferenceData.conferenceId));
  assert.ok(ev.conferenceData.entryPoints.some((e) => e.entryPointType === 'phone' && e.pin));
  await expectError(cal.events.insert({calendarId: 'primary', requestBody}), 409, 'duplicate');

  // A recurring series; list in pages of two, then sync.
  await cal.events.insert({calendarId: 'primary', requestBody: {
    summary: 'weekly', start: {dateTime: '2030-01-08T09:00:00', timeZone: 'Europe/Paris'},
    end: {dateTime: '2030-01-08T09:30:00', timeZone: 'Europe/Paris'}, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=5'],
  }});
  let pageToken; let syncToken; let n = 0; let pages = 0;
  do {
    const res = await cal.events.list({calendarId: 'primary', singleEvents: true, maxResults: 2,
      timeMin: '2030-01-01T00:00:00Z', timeMax: '2030-03-01T00:00:00Z', pageToken});
    n += res.data.items.length; pages++;
    pageToken = res.data.nextPageToken;
    syncToken = res.data.nextSyncToken;
  } while (pageToken);
  assert.equal(n, 6); assert.equal(pages, 3); assert.ok(syncToken);
  const inst = await cal.events.instances({calendarId: 'primary', eventId: (await cal.events.list({calendarId: 'primary', q: 'weekly'})).data.items[0].id});
  assert.equal(inst.data.items.length, 5);

  await cal.events.patch({calendarId: 'primary', eventId: ev.id, sendUpdates: 'none', requestBody: {summary: 'patched'}});
  const delta = await cal.events.list({calendarId: 'primary', syncToken});
  assert.deepEqual(delta.data.items.map((e) => e.summary), ['patched']);

  // Free/busy of the user.
  const fb = await cal.freebusy.query({requestBody: {timeMin: '2030-01-07T00:00:00Z', timeMax: '2030-01-09T00:00:00Z', items: [{id: user}]}});
  assert.deepEqual(fb.data.calendars[user].busy, [
    {start: '2030-01-07T08:00:00Z', end: '2030-01-07T09:00:00Z'},
    {start: '2030-01-08T08:00:00Z', end: '2030-01-08T08:30:00Z'},
  ]);

  // Push channel open and stop.
  const ch = await cal.events.watch({calendarId: 'primary', requestBody: {id: 'node-chan', type: 'web_hook', address: 'https://receiver.example/hook', token: 't'}});
  assert.equal(ch.data.id, 'node-chan'); assert.ok(ch.data.resourceId); assert.ok(Number(ch.data.expiration) > Date.now());
  const stop = await cal.channels.stop({requestBody: {id: 'node-chan', resourceId: ch.data.resourceId}});
  assert.equal(stop.status, 204);

  // Faults: 403 rateLimitExceeded on an insert (not retried: POST).
  await control('POST', '/faults', {status: 403, method: 'POST', path: '/calendar/v3/calendars/'});
  await expectError(cal.events.insert({calendarId: 'primary', requestBody: {summary: 'x', start: {date: '2030-02-01'}, end: {date: '2030-02-02'}}}), 403, 'rateLimitExceeded');
  // A 503 on a read is retried by the client and then succeeds.
  await control('POST', '/faults', {status: 503, method: 'GET'});
  const again = await cal.events.get({calendarId: 'primary', eventId: ev.id});
  assert.equal(again.data.summary, 'patched');

  // Invalidated sync tokens: 410 fullSyncRequired.
  await control('POST', '/sync-tokens/invalidate', {});
  await expectError(cal.events.list({calendarId: 'primary', syncToken: delta.data.nextSyncToken}), 410, 'fullSyncRequired');

  await cal.events.delete({calendarId: 'primary', eventId: ev.id, sendUpdates: 'all'});
  const mails = await control('GET', '/mails');
  assert.deepEqual(mails.mails.map((m) => `${m.to}:${m.kind}`), ['guest@other.test:invitation', 'guest@other.test:cancellation']);
  console.log('ok: @googleapis/calendar against the sandbox');
}

main().catch((err) => {
  console.error(err.response ? `${err.message}: ${JSON.stringify(err.response.data)}` : err);
  process.exit(1);
});
