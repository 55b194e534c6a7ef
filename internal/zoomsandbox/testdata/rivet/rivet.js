// Drives Zoom's official Node SDK, @zoom/rivet 0.4.0, against a running
// `convene zoom-sandbox` (see rivet_test.go). zoom-api.md §7 says how:
// Rivet honours an untyped `baseUrl` for the REST API, but its OAuth URL
// (https://zoom.us) is hard-coded, so an axios request interceptor on the
// shared axios instance sends Rivet's own token request to the sandbox.
//
// Environment: SANDBOX_URL, RECEIVER_PORT, plus the sandbox's default app
// credentials. Prints one line per step; exits non-zero on any failure.
"use strict";
const axios = require("axios");
const { MeetingsS2SAuthClient, MeetingsOAuthClient, ApiResponseError, LogLevel } = require("@zoom/rivet/meetings");

const base = process.env.SANDBOX_URL;
const port = Number(process.env.RECEIVER_PORT);
const seenTokenRequests = [];
axios.interceptors.request.use((cfg) => {
  if (typeof cfg.url === "string" && cfg.url.startsWith("https://zoom.us/")) {
    seenTokenRequests.push(cfg.url);
    cfg.url = base + cfg.url.slice("https://zoom.us".length);
  }
  return cfg;
});

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

async function main() {
  const client = new MeetingsS2SAuthClient({
    clientId: "sandbox-client",
    clientSecret: "sandbox-secret",
    accountId: "sandbox-account",
    webhooksSecretToken: "sandbox-webhook-secret",
    port,
    baseUrl: base + "/v2", // untyped passthrough (zoom-api.md §7.2)
    logLevel: LogLevel.ERROR,
  });
  const m = client.endpoints.meetings;
  const events = {};
  const waiters = {};
  for (const name of ["meeting.created", "meeting.updated", "meeting.deleted"]) {
    events[name] = new Promise((resolve) => { waiters[name] = resolve; });
    client.webEventConsumer.event(name, (ev) => waiters[name](ev));
  }
  await client.start();
  console.log(`receiver: Rivet HttpReceiver listening on 127.0.0.1:${port}/zoom/events`);

  const v = await axios.post(base + "/_sandbox/webhooks/url-validation");
  check(v.data.valid === true, "url_validation answered by Rivet: " + JSON.stringify(v.data));
  console.log(`endpoint.url_validation: Rivet answered ${v.data.status}, encryptedToken verified by the sandbox`);

  const created = await m.createMeeting({
    path: { userId: "rivet.user@example.com" },
    body: {
      topic: "Rivet interop", type: 2, start_time: "2030-03-04T15:00:00", timezone: "Europe/Paris", duration: 30,
      agenda: "Made by @zoom/rivet", settings: { join_before_host: true, jbh_time: 5, waiting_room: false },
    },
  });
  check(created.statusCode === 201, "create status");
  const id = created.data.id;
  check(created.data.start_time === "2030-03-04T14:00:00Z", "start_time normalized to UTC");
  console.log(`token: Rivet fetched its own account_credentials token from the sandbox (${seenTokenRequests.length} request to ${seenTokenRequests[0]})`);
  console.log(`createMeeting: ${created.statusCode} id=${id} start_time=${created.data.start_time} host=${created.data.host_email} trackingId=${created.trackingId ? "yes" : "no"}`);

  const got = await m.getMeeting({ path: { meetingId: id } });
  check(got.statusCode === 200 && got.data.topic === "Rivet interop", "get");
  console.log(`getMeeting: ${got.statusCode} topic="${got.data.topic}" status=${got.data.status} join_url=${got.data.join_url.replace(base, "BASE")}`);

  const upd = await m.updateMeeting({ path: { meetingId: id }, body: { topic: "Rivet interop, moved", start_time: "2030-03-05T09:00:00Z" } });
  check(upd.statusCode === 204 && upd.data === "", "update 204 with empty body");
  const after = await m.getMeeting({ path: { meetingId: id } });
  check(after.data.topic === "Rivet interop, moved" && after.data.start_time === "2030-03-05T09:00:00Z", "update applied");
  console.log(`updateMeeting: ${upd.statusCode} data=${JSON.stringify(upd.data)}; getMeeting after: topic="${after.data.topic}" start_time=${after.data.start_time}`);

  const list = await m.listMeetings({ path: { userId: "rivet.user@example.com" }, query: { type: "scheduled", page_size: 30 } });
  check(list.statusCode === 200 && list.data.meetings.some((x) => x.id === id), "listed");
  console.log(`listMeetings: ${list.statusCode} total_records=${list.data.total_records} next_page_token="${list.data.next_page_token}"`);

  const inv = await m.getMeetingInvitation({ path: { meetingId: id } });
  check(inv.statusCode === 200 && inv.data.invitation.includes("\r\nTopic: Rivet interop, moved\r\n"), "invitation");
  console.log(`getMeetingInvitation: ${inv.statusCode} first line="${inv.data.invitation.split("\r\n")[0]}" sip_links=${JSON.stringify(inv.data.sip_links)}`);

  const del = await m.deleteMeeting({ path: { meetingId: id }, query: { schedule_for_reminder: false, cancel_meeting_reminder: true } });
  check(del.statusCode === 204, "delete");
  console.log(`deleteMeeting: ${del.statusCode}`);
  try {
    await m.getMeeting({ path: { meetingId: id } });
    throw new Error("deleted meeting still readable");
  } catch (e) {
    check(e instanceof ApiResponseError, "ApiResponseError: " + e);
    console.log(`getMeeting after delete: ApiResponseError ${e.message}`);
  }
  try {
    await m.createMeeting({ path: { userId: "stranger@elsewhere.test" }, body: { topic: "x" } });
    throw new Error("foreign user accepted");
  } catch (e) {
    check(e instanceof ApiResponseError, "ApiResponseError: " + e);
    console.log(`createMeeting for a user outside the account: ApiResponseError ${e.message}`);
  }

  const timeout = (ms) => new Promise((_, rej) => setTimeout(() => rej(new Error("webhook timeout")), ms));
  for (const name of ["meeting.created", "meeting.updated", "meeting.deleted"]) {
    const ev = await Promise.race([events[name], timeout(10000)]);
    check(ev.payload.object.id === id, name + " object id");
    console.log(`webhook ${name}: signature verified by Rivet's receiver, object.id=${ev.payload.object.id}`);
  }
  // The receiver keeps the process alive; main's caller exits.
}

// userOAuth runs Rivet's user-OAuth client through the authorization-code
// flow (Rivet's own authorization URL, the sandbox's consent form, Rivet's
// own code exchange) and a refresh with rotation.
async function userOAuth() {
  const store = {
    token: undefined,
    getLatestToken() { return this.token; },
    storeToken(t) { this.token = t; },
  };
  const client = new MeetingsOAuthClient({
    clientId: "sandbox-client",
    clientSecret: "sandbox-secret",
    disableReceiver: true,
    tokenStore: store,
    installerOptions: { redirectUri: "http://127.0.0.1:1", stateStore: "rivet-interop-state-secret-0123456789" },
    baseUrl: base + "/v2",
    logLevel: LogLevel.ERROR,
  });
  const { fullUrl, generatedState } = await client.auth.getAuthorizationUrl();
  const consent = await axios.get(fullUrl); // https://zoom.us/oauth/authorize → the sandbox
  check(consent.status === 200 && String(consent.data).includes('value="approve"'), "consent page");
  const form = new URLSearchParams(new URL(fullUrl).searchParams);
  form.set("decision", "approve");
  form.set("email", "admin@example.com");
  const approved = await axios.post(base + "/oauth/authorize", form, { maxRedirects: 0, validateStatus: (s) => s === 302 });
  const back = new URL(approved.headers.location);
  check(back.searchParams.get("state") === generatedState, "state round trip");
  console.log(`authorize: Rivet's authorization URL → consent page ${consent.status} → approve → 302 to ${back.origin}${back.pathname} with code and Rivet's state`);
  await client.auth.initRedirectCode(back.searchParams.get("code"));
  const first = store.token;
  check(first && first.refreshToken && first.scopes.includes("meeting:write:meeting:admin"), "token stored by Rivet");
  console.log(`initRedirectCode: Rivet exchanged the code; ${first.scopes.length} scopes granted`);

  const mine = await client.endpoints.meetings.createMeeting({ path: { userId: "me" }, body: { topic: "Made as me", type: 2, start_time: "2030-04-01T08:00:00Z" } });
  check(mine.data.host_email === "admin@example.com", "me is the authorizing user");
  console.log(`createMeeting as me: ${mine.statusCode} host_email=${mine.data.host_email}`);

  store.token = { ...first, expirationTimeIso: new Date(Date.now() - 1000).toISOString() };
  const again = await client.endpoints.meetings.getMeeting({ path: { meetingId: mine.data.id } });
  check(again.statusCode === 200, "get after refresh");
  check(store.token.refreshToken !== first.refreshToken && store.token.accessToken !== first.accessToken, "rotated");
  console.log(`refresh: Rivet refreshed the expired token; the refresh token rotated`);
  const reuse = await axios.post(base + "/oauth/token", new URLSearchParams({ grant_type: "refresh_token", refresh_token: first.refreshToken }),
    { auth: { username: "sandbox-client", password: "sandbox-secret" }, validateStatus: () => true });
  check(reuse.status === 400, "old refresh token refused");
  console.log(`old refresh token: ${reuse.status} ${JSON.stringify(reuse.data)}`);
}

main().then(userOAuth).then(() => process.exit(0), (e) => { console.error("FAIL:", e && e.stack ? e.stack : e); process.exit(1); });
