package googlesandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/redirecturi"
)

// Channel lifetimes: Google's default for events channels is a week; a
// requested expiration beyond a month is cut to a month.
const (
	defaultChannelTTL = 7 * 24 * time.Hour
	maxChannelTTL     = 30 * 24 * time.Hour
)

// channelResource is the Channel resource (discovery document,
// schemas.Channel).
type channelResource struct {
	Kind        string            `json:"kind,omitempty"`
	ID          string            `json:"id,omitempty"`
	ResourceID  string            `json:"resourceId,omitempty"`
	ResourceURI string            `json:"resourceUri,omitempty"`
	Token       string            `json:"token,omitempty"`
	Expiration  string            `json:"expiration,omitempty"`
	Type        string            `json:"type,omitempty"`
	Address     string            `json:"address,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Payload     bool              `json:"payload,omitempty"`
}

// pushAddressOK is Google's rule for a web_hook address: https; the
// sandbox also accepts http on a loopback host, where tests and a
// built-in sandbox receive.
func pushAddressOK(addr string) bool {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	return redirecturi.LoopbackHost(u.Hostname())
}

// handleWatch is events.watch: a push channel on the calendar's events; a
// "sync" notification follows at once.
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	if !c.allows(readScopes) {
		return errInsufficientScopes()
	}
	body, err := readBody(r)
	if err != nil {
		return errBadRequest("Could not read the request body.")
	}
	var req channelResource
	if err := json.Unmarshal(body, &req); err != nil {
		return errBadRequest("Invalid JSON payload received. " + jsonErrorText(err))
	}
	if req.ID == "" {
		return errRequired("Required channel id.")
	}
	if len(req.ID) > 64 || strings.ContainsAny(req.ID, " /") {
		return errInvalid("Invalid channel id.")
	}
	if req.Type != "web_hook" && req.Type != "webhook" {
		return errInvalid("Invalid channel type: " + req.Type)
	}
	own := s.opts.PushBaseURL != "" && strings.HasPrefix(req.Address, strings.TrimRight(s.opts.PushBaseURL, "/")+"/")
	if !own && !pushAddressOK(req.Address) {
		return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "push.webhookUrlNotHttps",
			Message: "WebHook callback must be HTTPS: " + req.Address}
	}
	if len(req.Token) > 256 {
		return errInvalid("Channel token too long.")
	}
	now := s.now()
	exp := now.Add(defaultChannelTTL)
	if req.Expiration != "" {
		ms, err := strconv.ParseInt(req.Expiration, 10, 64)
		if err != nil {
			return errInvalid("Invalid expiration.")
		}
		exp = time.UnixMilli(ms)
	}
	if ttl := req.Params["ttl"]; ttl != "" {
		sec, err := strconv.ParseInt(ttl, 10, 64)
		if err != nil || sec <= 0 {
			return errInvalid("Invalid ttl.")
		}
		exp = now.Add(time.Duration(min(sec, int64(maxChannelTTL/time.Second))) * time.Second)
	}
	if exp.After(now.Add(maxChannelTTL)) {
		exp = now.Add(maxChannelTTL)
	}
	if !exp.After(now) {
		return errInvalid("Channel expiration is in the past.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal, e := s.calendarLocked(c, r.PathValue("calendarId"))
	if e != nil {
		return e
	}
	// Channels stopped or expired a day ago are forgotten: bounded state.
	for id, old := range s.st.Channels {
		if (old.Stopped || now.After(old.Expiration)) && now.Sub(old.Expiration) > 24*time.Hour {
			delete(s.st.Channels, id)
		}
	}
	if s.st.Channels[req.ID] != nil {
		return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "channelIdNotUnique", Message: "Channel id " + req.ID + " not unique"}
	}
	ch := &channel{ID: req.ID, ResourceID: s.randFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 27),
		CalendarID: cal.ID, Address: req.Address, Token: req.Token, ClientID: c.token.ClientID, Expiration: exp}
	s.st.Channels[ch.ID] = ch
	s.changedLocked()
	s.pushes.sendLocked(ch, "sync", s.resourceURI(cal.ID))
	writeJSON(w, http.StatusOK, channelResource{Kind: "api#channel", ID: ch.ID, ResourceID: ch.ResourceID,
		ResourceURI: s.resourceURI(cal.ID), Token: ch.Token, Expiration: strconv.FormatInt(exp.UnixMilli(), 10)})
	return nil
}

func (s *Server) resourceURI(calID string) string {
	return s.CalendarURL() + "calendars/" + url.PathEscape(calID) + "/events?alt=json"
}

// handleChannelStop is channels.stop: 204, or 404 for an unknown channel
// or resource.
func (s *Server) handleChannelStop(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	body, err := readBody(r)
	if err != nil {
		return errBadRequest("Could not read the request body.")
	}
	var req channelResource
	if err := json.Unmarshal(body, &req); err != nil {
		return errBadRequest("Invalid JSON payload received. " + jsonErrorText(err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.st.Channels[req.ID]
	if ch == nil || ch.Stopped || ch.ResourceID != req.ResourceID || ch.ClientID != c.token.ClientID {
		return &apiError{Status: http.StatusNotFound, Domain: "global", Reason: "notFound",
			Message: "Channel '" + req.ID + "' not found for project '" + c.token.ClientID + "'"}
	}
	ch.Stopped = true
	s.changedLocked()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pushRecord is one notification sent, as GET /_sandbox/pushes lists it.
type pushRecord struct {
	ChannelID     string `json:"channel_id"`
	ResourceState string `json:"resource_state"`
	MessageNumber int64  `json:"message_number"`
	Address       string `json:"address"`
	Status        int    `json:"status"`
	Error         string `json:"error,omitempty"`
	Delivered     bool   `json:"delivered"`
}

// pusher delivers push notifications in order, one at a time, and keeps
// the last 1,000 results.
type pusher struct {
	s      *Server
	queue  chan pushJob
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	// closed is set by close; Server.mu guards it.
	closed bool

	mu      sync.Mutex
	records []pushRecord
	pending int
}

type pushJob struct {
	ch          channel
	state       string
	number      int64
	resourceURI string
}

func newPusher(s *Server) *pusher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pusher{s: s, queue: make(chan pushJob, 4096), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	go p.run()
	return p
}

// notifyLocked sends "exists" on every live channel of the calendar.
func (p *pusher) notifyLocked(calID string) {
	now := p.s.now()
	for _, ch := range p.s.st.Channels {
		if ch.CalendarID == calID && !ch.Stopped && now.Before(ch.Expiration) {
			p.sendLocked(ch, "exists", p.s.resourceURI(calID))
		}
	}
}

// sendLocked queues a notification on ch (s.mu held: the order of changes
// is the order of messages).
func (p *pusher) sendLocked(ch *channel, state, uri string) {
	if p.closed {
		return
	}
	ch.Messages++
	job := pushJob{ch: *ch, state: state, number: ch.Messages, resourceURI: uri}
	p.mu.Lock()
	p.pending++
	p.mu.Unlock()
	select {
	case p.queue <- job:
	default:
		p.record(pushRecord{ChannelID: ch.ID, ResourceState: state, MessageNumber: job.number, Address: ch.Address,
			Error: "dropped: queue full"})
	}
}

func (p *pusher) run() {
	defer close(p.done)
	for job := range p.queue {
		p.deliver(job)
	}
}

// deliver POSTs one notification: an empty body and the X-Goog-* headers
// (Calendar guide, "Push notifications"), again after Options.PushRetryDelays
// while the receiver fails with 500, 502, 503, 504 or no answer.
func (p *pusher) deliver(job pushJob) {
	rec := pushRecord{ChannelID: job.ch.ID, ResourceState: job.state, MessageNumber: job.number, Address: job.ch.Address}
	for attempt := 0; ; attempt++ {
		status, err := p.post(job)
		rec.Status, rec.Error, rec.Delivered = status, "", status/100 == 2
		if err != nil {
			rec.Error = err.Error()
		}
		retry := err != nil || status == 500 || status == 502 || status == 503 || status == 504
		if !retry || attempt >= len(p.s.opts.PushRetryDelays) {
			break
		}
		t := time.NewTimer(p.s.opts.PushRetryDelays[attempt])
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
			p.record(rec)
			return
		}
	}
	p.s.log.Info("googlesandbox push", "channel", job.ch.ID, "state", job.state, "status", rec.Status, "delivered", rec.Delivered)
	p.record(rec)
}

// post sends the notification once.
func (p *pusher) post(job pushJob) (int, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.ch.Address, nil)
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("X-Goog-Channel-ID", job.ch.ID)
	if job.ch.Token != "" {
		h.Set("X-Goog-Channel-Token", job.ch.Token)
	}
	h.Set("X-Goog-Channel-Expiration", job.ch.Expiration.UTC().Format(http.TimeFormat))
	h.Set("X-Goog-Resource-ID", job.ch.ResourceID)
	h.Set("X-Goog-Resource-URI", job.resourceURI)
	h.Set("X-Goog-Resource-State", job.state)
	h.Set("X-Goog-Message-Number", strconv.FormatInt(job.number, 10))
	resp, err := p.s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (p *pusher) record(rec pushRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending--
	p.records = append(p.records, rec)
	if n := len(p.records); n > 1000 {
		p.records = append([]pushRecord(nil), p.records[n-1000:]...)
	}
}

// snapshot returns the records and the count of notifications not yet
// delivered.
func (p *pusher) snapshot() ([]pushRecord, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pushRecord{}, p.records...), p.pending
}

// close stops: deliveries in flight are cancelled and what is still
// queued is recorded undelivered, so a shutdown never waits on a slow
// receiver.
func (p *pusher) close() {
	p.s.mu.Lock()
	p.closed = true
	close(p.queue)
	p.s.mu.Unlock()
	p.cancel()
	<-p.done
}
