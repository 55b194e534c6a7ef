package davclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// FuzzMultistatus answers the client's requests with arbitrary
// multistatus bodies (a remote server is not trusted): parsing must never
// panic, and a sync answer's members must come from the body.
func FuzzMultistatus(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><cs:getctag>"7"</cs:getctag><d:sync-token>tok-7</d:sync-token></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`,
		`<d:multistatus xmlns:d="DAV:"><d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"e1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/cal/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response><d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response><d:sync-token>t2</d:sync-token></d:multistatus>`,
		`<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>http://h/cal/a%20b.ics</d:href><d:propstat><d:prop><d:getetag>x</d:getetag><c:calendar-data>BEGIN:VCALENDAR&#13;
END:VCALENDAR</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`,
		"", "<", "<d:multistatus xmlns:d='DAV:'><d:response><d:status>garbage</d:status></d:response></d:multistatus>",
	} {
		f.Add(s)
	}
	var mu sync.Mutex
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		w.WriteHeader(http.StatusMultiStatus)
		w.Write([]byte(b))
	}))
	f.Cleanup(srv.Close)
	c, err := New(srv.Client(), srv.URL+"/cal/", "u", "p")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mu.Lock()
		body = s
		mu.Unlock()
		ctx := context.Background()
		c.State(ctx, "/cal/")
		if ch, err := c.Sync(ctx, "/cal/", "t1"); err == nil {
			if len(ch.Changed)+len(ch.Removed) > len(s) {
				t.Fatalf("more members than bytes: %+v", ch)
			}
		}
		c.List(ctx, "/cal/")
		c.Get(ctx, "/cal/", []string{"/cal/a.ics"})
		c.Discover(ctx)
	})
}
