package graphsandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// batchRequest is one request of a JSON $batch.
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// parseBatch decodes and checks a $batch body: at most 20 requests, ids
// unique, dependsOn naming earlier requests only, relative URLs.
func parseBatch(b []byte) ([]batchRequest, *graphError) {
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := jsonStrict(b, &in); err != nil {
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Invalid batch payload format: "+err.Error())
	}
	switch {
	case len(in.Requests) == 0:
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
	case len(in.Requests) > maxBatch:
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Too many requests in the batch; the limit is 20.")
	}
	seen := map[string]bool{}
	for _, r := range in.Requests {
		if r.ID == "" || len(r.ID) > 100 || seen[r.ID] {
			return nil, errGraph(http.StatusBadRequest, "BadRequest", "Each request needs a unique id.")
		}
		if !oneOf(strings.ToUpper(r.Method), "GET", "POST", "PATCH", "PUT", "DELETE") {
			return nil, errGraph(http.StatusBadRequest, "BadRequest", "Invalid method '"+trunc(r.Method, 20)+"'.")
		}
		u, err := url.Parse(r.URL)
		if r.URL == "" || err != nil || u.IsAbs() || u.Host != "" || len(r.URL) > 4096 {
			return nil, errGraph(http.StatusBadRequest, "BadRequest", "Each request needs a relative url.")
		}
		if len(r.Headers) > 20 {
			return nil, errGraph(http.StatusBadRequest, "BadRequest", "Too many headers.")
		}
		if len(r.Body) > 0 && string(r.Body) != "null" && !hasContentType(r.Headers) {
			// Graph refuses the whole batch, naming the request.
			return nil, errGraph(http.StatusBadRequest, "BadRequest", "Write request id : "+trunc(r.ID, 100)+" does not contain Content-Type header or body.")
		}
		for _, d := range r.DependsOn {
			if !seen[d] {
				return nil, errGraph(http.StatusBadRequest, "BadRequest", "dependsOn '"+trunc(d, 100)+"' names no earlier request.")
			}
		}
		seen[r.ID] = true
	}
	return in.Requests, nil
}

// handleBatch is POST /$batch: the requests run in order through the same
// handlers with the batch's token; one whose dependency failed answers
// 424; an injected fault matching a request answers it inside the batch
// (200 for the batch, 429 or 503 for that request). A batch cannot nest.
func (s *Server) handleBatch(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	reqs, gerr := parseBatch(b)
	if gerr != nil {
		return nil, gerr
	}
	failed := map[string]bool{}
	out := make([]batchResponse, 0, len(reqs))
	for _, br := range reqs {
		dep := false
		for _, d := range br.DependsOn {
			dep = dep || failed[d]
		}
		if dep {
			failed[br.ID] = true
			body, _ := json.Marshal(s.errorBody(errGraph(http.StatusFailedDependency, "FailedDependency", "The request could not be processed because of a failed dependency."), ""))
			out = append(out, batchResponse{ID: br.ID, Status: http.StatusFailedDependency, Body: body})
			continue
		}
		path := "/" + strings.TrimPrefix(br.URL, "/")
		if strings.HasPrefix(strings.ToLower(path), "/$batch") {
			failed[br.ID] = true
			body, _ := json.Marshal(s.errorBody(errBadRequest("A batch cannot hold a batch."), ""))
			out = append(out, batchResponse{ID: br.ID, Status: http.StatusBadRequest, Body: body})
			continue
		}
		if f := s.faults.take(&http.Request{Method: strings.ToUpper(br.Method), URL: &url.URL{Path: "/v1.0" + strings.SplitN(path, "?", 2)[0]}}); f != nil {
			failed[br.ID] = true
			e := f.graphError()
			body, _ := json.Marshal(s.errorBody(e, ""))
			resp := batchResponse{ID: br.ID, Status: e.Status, Body: body, Headers: map[string]string{"Content-Type": "application/json"}}
			if ra := e.header.Get("Retry-After"); ra != "" {
				resp.Headers["Retry-After"] = ra
			}
			out = append(out, resp)
			continue
		}
		var body []byte
		if len(br.Body) > 0 && string(br.Body) != "null" {
			body = br.Body
		}
		sub, err := http.NewRequestWithContext(r.Context(), strings.ToUpper(br.Method), path, bytes.NewReader(body))
		if err != nil {
			failed[br.ID] = true
			out = append(out, batchResponse{ID: br.ID, Status: http.StatusBadRequest})
			continue
		}
		for k, v := range br.Headers {
			sub.Header.Set(k, v)
		}
		sub.Header.Set("Authorization", r.Header.Get("Authorization"))
		for _, p := range r.Header.Values("Prefer") {
			if sub.Header.Get("Prefer") == "" {
				sub.Header.Add("Prefer", p)
			}
		}
		rec := httptest.NewRecorder()
		s.api.ServeHTTP(rec, sub)
		resp := batchResponse{ID: br.ID, Status: rec.Code, Headers: map[string]string{}}
		for _, h := range []string{"Content-Type", "Location", "Retry-After", "Preference-Applied"} {
			if v := rec.Header().Get(h); v != "" {
				resp.Headers[h] = v
			}
		}
		if rec.Body.Len() > 0 {
			resp.Body = json.RawMessage(rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			failed[br.ID] = true
		}
		out = append(out, resp)
	}
	return map[string]any{"responses": out}, nil
}

func hasContentType(h map[string]string) bool {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") && v != "" {
			return true
		}
	}
	return false
}
