// google-auth-library's OAuth2Client (it comes with @googleapis/calendar)
// against the Google sandbox's OAuth 2.0 endpoints for personal accounts:
// run by node_test.go with SANDBOX_URL, CLIENT_ID, CLIENT_SECRET,
// REDIRECT_URI and USER_EMAIL (a personal account). The consent page is
// driven with plain HTTP, as a test without a browser does. Exits non-zero
// on the first difference from Google's contract.
'use strict';
const assert = require('node:assert/strict');
const {calendar, auth} = require('@googleapis/calendar');

const base = process.env.SANDBOX_URL;
const user = process.env.USER_EMAIL;
const clientId = process.env.CLIENT_ID;
const scopes = ['openid', 'email', 'profile', 'https://www.googleapis.com/auth/calendar.events'];

const client = new auth.OAuth2({
  clientId, clientSecret: process.env.CLIENT_SECRET, redirectUri: process.env.REDIRECT_URI,
  endpoints: {
    oauth2AuthBaseUrl: base + '/o/oauth2/v2/auth',
    oauth2TokenUrl: base + '/token',
    oauth2RevokeUrl: base + '/revoke',
    oauth2FederatedSignonPemCertsUrl: base + '/oauth2/v1/certs',
    oauth2FederatedSignonJwkCertsUrl: base + '/oauth2/v3/certs',
  },
  issuers: [base],
});

// consent signs in on the page of authUrl and allows every checkbox; it
// returns the query of the redirect to the client.
async function consent(authUrl) {
  const page = await fetch(authUrl, {redirect: 'manual'});
  assert.equal(page.status, 200);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.append(m[1], unescape(m[2]));
  }
  for (const m of html.matchAll(/<input type="checkbox" name="granted" value="([^"]+)" checked>/g)) {
    form.append('granted', unescape(m[1]));
  }
  form.set('email', user);
  form.set('decision', 'allow');
  const res = await fetch(base + '/o/oauth2/v2/auth', {method: 'POST', body: form, redirect: 'manual'});
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, process.env.REDIRECT_URI);
  return loc.searchParams;
}

// unescape undoes html/template's escaping of attribute values.
function unescape(s) {
  const named = {amp: '&', lt: '<', gt: '>', quot: '"', apos: '\''};
  return s.replace(/&(#(\d+)|[a-z]+);/g, (m, name, num) => (num ? String.fromCharCode(Number(num)) : named[name] ?? m));
}

async function main() {
  const {codeVerifier, codeChallenge} = await client.generateCodeVerifierAsync();
  const authUrl = client.generateAuthUrl({
    access_type: 'offline', scope: scopes, state: 'node+state=/&"<x>', login_hint: user, include_granted_scopes: true,
    code_challenge_method: 'S256', code_challenge: codeChallenge,
  });
  assert.ok(authUrl.startsWith(base + '/o/oauth2/v2/auth?'));
  const q = await consent(authUrl);
  assert.equal(q.get('state'), 'node+state=/&"<x>');
  const {tokens} = await client.getToken({code: q.get('code'), codeVerifier});
  assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token, JSON.stringify(tokens));
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.scope.split(' ').includes('https://www.googleapis.com/auth/calendar.events'));

  const ticket = await client.verifyIdToken({idToken: tokens.id_token, audience: clientId});
  const payload = ticket.getPayload();
  assert.equal(payload.email, user);
  assert.equal(payload.email_verified, true);
  assert.equal(payload.iss, base);
  assert.match(payload.sub, /^1[0-9]{20}$/);
  await assert.rejects(client.verifyIdToken({idToken: tokens.id_token, audience: 'someone-else'}));

  // The Calendar API with the user's credentials.
  client.setCredentials(tokens);
  const cal = calendar({version: 'v3', auth: client, rootUrl: base + '/'});
  const ins = await cal.events.insert({calendarId: 'primary', requestBody: {
    summary: 'from node oauth', start: {dateTime: '2030-01-07T09:00:00Z'}, end: {dateTime: '2030-01-07T10:00:00Z'},
  }});
  assert.equal(ins.status, 200);
  const list = await cal.events.list({calendarId: user});
  assert.ok(list.data.items.some((e) => e.summary === 'from node oauth'));

  // Refresh: an expired access token is refreshed by the client itself.
  client.setCredentials({refresh_token: tokens.refresh_token, access_token: tokens.access_token, expiry_date: Date.now() - 1000});
  const again = await cal.events.list({calendarId: 'primary'});
  assert.equal(again.status, 200);
  assert.notEqual(client.credentials.access_token, tokens.access_token);
  const {credentials} = await client.refreshAccessToken();
  assert.ok(credentials.access_token);
  assert.equal(credentials.refresh_token, tokens.refresh_token); // Google sends no new one: the client keeps it

  // Revocation ends the refresh token.
  const rev = await client.revokeToken(tokens.refresh_token);
  assert.equal(rev.status, 200);
  await assert.rejects(client.refreshToken(tokens.refresh_token), (err) => {
    assert.equal(err.response.status, 400);
    assert.equal(err.response.data.error, 'invalid_grant');
    assert.equal(err.response.data.error_description, 'Token has been expired or revoked.');
    return true;
  });
  await assert.rejects(client.revokeToken(tokens.refresh_token), (err) => {
    assert.equal(err.response.data.error, 'invalid_token');
    return true;
  });
  console.log('oauth.js: ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
