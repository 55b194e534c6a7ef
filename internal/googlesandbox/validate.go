package googlesandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The discovery validator. Google publishes the Calendar API as a
// discovery document (a JSON Schema dialect of its own: "$ref" by schema
// id, "format" int64 strings, "repeated" parameters, "additionalProperties"
// for maps), not as OpenAPI, and no Go library validates against it: this
// one is written by hand for the constructs calendar-api.json uses.

// dschema is a schema or a parameter of a discovery document.
type dschema struct {
	ID                   string              `json:"id"`
	Type                 string              `json:"type"`
	Format               string              `json:"format"`
	Ref                  string              `json:"$ref"`
	Properties           map[string]*dschema `json:"properties"`
	Items                *dschema            `json:"items"`
	AdditionalProperties *dschema            `json:"additionalProperties"`
	Enum                 []string            `json:"enum"`
	Repeated             bool                `json:"repeated"`
	Location             string              `json:"location"`
	Required             bool                `json:"required"`
	Minimum              string              `json:"minimum"`
	Maximum              string              `json:"maximum"`
}

// dmethod is a method of a discovery document.
type dmethod struct {
	ID         string              `json:"id"`
	HTTPMethod string              `json:"httpMethod"`
	Path       string              `json:"path"`
	Parameters map[string]*dschema `json:"parameters"`
	Request    *struct {
		Ref string `json:"$ref"`
	} `json:"request"`
	Response *struct {
		Ref string `json:"$ref"`
	} `json:"response"`
	re      *regexp.Regexp
	nparams int
}

type dresource struct {
	Methods   map[string]*dmethod   `json:"methods"`
	Resources map[string]*dresource `json:"resources"`
}

// validator checks requests and answers against a discovery document.
type validator struct {
	servicePath string
	schemas     map[string]*dschema
	global      map[string]*dschema
	methods     []*dmethod
	// Revision is the document's revision.
	Revision string
}

// standardParams are the system parameters every Google API accepts
// besides the document's global parameters.
var standardParams = []string{"$.xgafv", "access_token", "callback", "upload_protocol", "uploadType"}

// newValidator loads a discovery document.
func newValidator(doc []byte) (*validator, error) {
	var d struct {
		Revision    string                `json:"revision"`
		ServicePath string                `json:"servicePath"`
		Schemas     map[string]*dschema   `json:"schemas"`
		Parameters  map[string]*dschema   `json:"parameters"`
		Resources   map[string]*dresource `json:"resources"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("googlesandbox: discovery document: %w", err)
	}
	if len(d.Schemas) == 0 || len(d.Resources) == 0 {
		return nil, errors.New("googlesandbox: discovery document: no schemas or resources")
	}
	v := &validator{servicePath: "/" + strings.Trim(d.ServicePath, "/") + "/", schemas: d.Schemas, global: d.Parameters, Revision: d.Revision}
	var walk func(map[string]*dresource)
	walk = func(rs map[string]*dresource) {
		for _, r := range rs {
			for _, m := range r.Methods {
				pat := regexp.QuoteMeta(v.servicePath + m.Path)
				pat = regexp.MustCompile(`\\\{[A-Za-z0-9_]+\\\}`).ReplaceAllString(pat, `[^/]+`)
				m.re = regexp.MustCompile("^" + pat + "$")
				m.nparams = strings.Count(m.Path, "{")
				v.methods = append(v.methods, m)
			}
			walk(r.Resources)
		}
	}
	walk(d.Resources)
	// Literal paths first: events/watch before events/{eventId}.
	sort.SliceStable(v.methods, func(i, j int) bool { return v.methods[i].nparams < v.methods[j].nparams })
	return v, nil
}

// method finds the document's method of a request.
func (v *validator) method(r *http.Request) *dmethod {
	p := r.URL.EscapedPath()
	for _, m := range v.methods {
		if m.HTTPMethod == r.Method && m.re.MatchString(p) {
			return m
		}
	}
	return nil
}

// checkRequest validates the query parameters and the body of a request.
func (v *validator) checkRequest(r *http.Request, body []byte) error {
	m := v.method(r)
	if m == nil {
		return fmt.Errorf("no method %s %s in the discovery document", r.Method, r.URL.Path)
	}
	var errs []error
	for name, vals := range r.URL.Query() {
		p := m.Parameters[name]
		if p == nil {
			p = v.global[name]
		}
		if p == nil {
			if !slices.Contains(standardParams, name) {
				errs = append(errs, fmt.Errorf("%s: unknown query parameter %q", m.ID, name))
			}
			continue
		}
		if p.Location == "path" {
			errs = append(errs, fmt.Errorf("%s: path parameter %q given in the query", m.ID, name))
			continue
		}
		if len(vals) > 1 && !p.Repeated {
			errs = append(errs, fmt.Errorf("%s: parameter %q repeated", m.ID, name))
		}
		for _, val := range vals {
			if err := v.checkParam(p, val); err != nil {
				errs = append(errs, fmt.Errorf("%s: parameter %s: %w", m.ID, name, err))
			}
		}
	}
	for name, p := range m.Parameters {
		if p.Required && p.Location == "query" && !r.URL.Query().Has(name) {
			errs = append(errs, fmt.Errorf("%s: missing required parameter %q", m.ID, name))
		}
	}
	switch {
	case m.Request == nil && len(bytes.TrimSpace(body)) > 0:
		errs = append(errs, fmt.Errorf("%s: takes no body", m.ID))
	case m.Request != nil:
		if err := v.checkJSON(body, m.Request.Ref, true); err != nil {
			errs = append(errs, fmt.Errorf("%s request: %w", m.ID, err))
		}
	}
	return errors.Join(errs...)
}

// checkParam validates one parameter value.
func (v *validator) checkParam(p *dschema, val string) error {
	switch p.Type {
	case "integer":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", val)
		}
		if p.Minimum != "" {
			if lo, _ := strconv.ParseInt(p.Minimum, 10, 64); n < lo {
				return fmt.Errorf("%d below the minimum %d", n, lo)
			}
		}
		if p.Maximum != "" {
			if hi, _ := strconv.ParseInt(p.Maximum, 10, 64); n > hi {
				return fmt.Errorf("%d above the maximum %d", n, hi)
			}
		}
	case "boolean":
		if val != "true" && val != "false" {
			return fmt.Errorf("%q is not a boolean", val)
		}
	case "string":
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, val) {
			return fmt.Errorf("%q is not one of %v", val, p.Enum)
		}
		return checkFormat(p.Format, val)
	}
	return nil
}

// checkJSON validates a JSON document against the schema named ref.
func (v *validator) checkJSON(body []byte, ref string, request bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if dec.More() {
		return errors.New("body has data after its JSON value")
	}
	var errs []error
	v.walk(val, &dschema{Ref: ref}, ref, request, &errs, 0)
	return errors.Join(errs...)
}

// walk validates val against sc, collecting errors under the JSON path.
func (v *validator) walk(val any, sc *dschema, path string, request bool, errs *[]error, depth int) {
	if depth > 64 {
		*errs = append(*errs, fmt.Errorf("%s: nested too deep", path))
		return
	}
	if sc.Ref != "" {
		ref := v.schemas[sc.Ref]
		if ref == nil {
			*errs = append(*errs, fmt.Errorf("%s: unknown schema %s", path, sc.Ref))
			return
		}
		sc = ref
	}
	if val == nil {
		// Requests may send null to clear a field (patch); Google never
		// answers null.
		if !request {
			*errs = append(*errs, fmt.Errorf("%s: null", path))
		}
		return
	}
	bad := func(want string) {
		*errs = append(*errs, fmt.Errorf("%s: %T where the document says %s", path, val, want))
	}
	switch sc.Type {
	case "object":
		obj, ok := val.(map[string]any)
		if !ok {
			bad("object")
			return
		}
		for _, k := range sortedKeys(obj) {
			if p := sc.Properties[k]; p != nil {
				v.walk(obj[k], p, path+"."+k, request, errs, depth+1)
			} else if sc.AdditionalProperties != nil {
				v.walk(obj[k], sc.AdditionalProperties, path+"["+strconv.Quote(k)+"]", request, errs, depth+1)
			} else {
				*errs = append(*errs, fmt.Errorf("%s: unknown property %q", path, k))
			}
		}
	case "array":
		arr, ok := val.([]any)
		if !ok {
			bad("array")
			return
		}
		for i, x := range arr {
			if sc.Items != nil {
				v.walk(x, sc.Items, fmt.Sprintf("%s[%d]", path, i), request, errs, depth+1)
			}
		}
	case "string":
		s, ok := val.(string)
		if !ok {
			bad("string")
			return
		}
		if len(sc.Enum) > 0 && !slices.Contains(sc.Enum, s) {
			*errs = append(*errs, fmt.Errorf("%s: %q is not one of %v", path, s, sc.Enum))
		}
		if err := checkFormat(sc.Format, s); err != nil && !localDateTime(request, path, s) {
			*errs = append(*errs, fmt.Errorf("%s: %w", path, err))
		}
	case "integer":
		n, ok := val.(json.Number)
		if !ok {
			bad("integer")
			return
		}
		i, err := n.Int64()
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %s is not an integer", path, n))
			return
		}
		if sc.Format == "int32" && (i < math.MinInt32 || i > math.MaxInt32) {
			*errs = append(*errs, fmt.Errorf("%s: %d is not an int32", path, i))
		}
	case "number":
		if _, ok := val.(json.Number); !ok {
			bad("number")
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			bad("boolean")
		}
	case "any", "":
	}
}

// localDateTime is the one exception to format date-time the document
// states in prose: a request's EventDateTime.dateTime may omit the offset
// when timeZone is given ("A time zone offset is required unless a time
// zone is explicitly specified in timeZone").
func localDateTime(request bool, path, s string) bool {
	if !request || !strings.HasSuffix(path, ".dateTime") {
		return false
	}
	_, err := time.Parse("2006-01-02T15:04:05", s)
	return err == nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkFormat checks the string formats of discovery documents.
func checkFormat(format, s string) error {
	switch format {
	case "int64", "uint64":
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			if _, err := strconv.ParseUint(s, 10, 64); err != nil {
				return fmt.Errorf("%q is not an %s string", s, format)
			}
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 date-time", s)
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return fmt.Errorf("%q is not a date", s)
		}
	case "byte":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.URLEncoding.DecodeString(s); err != nil {
				return fmt.Errorf("%q is not base64", s)
			}
		}
	}
	return nil
}

// checkResponse validates an answer: a success body against the method's
// response schema (none: an empty 204), an error body against Google's
// error shape.
func (v *validator) checkResponse(r *http.Request, status int, body []byte) error {
	m := v.method(r)
	if m == nil {
		if status == http.StatusNotFound {
			return checkErrorBody(body, status)
		}
		return fmt.Errorf("no method %s %s in the discovery document", r.Method, r.URL.Path)
	}
	if status >= 400 {
		return checkErrorBody(body, status)
	}
	if m.Response == nil {
		if status != http.StatusNoContent || len(body) > 0 {
			return fmt.Errorf("%s: answers no body, got %d with %d bytes", m.ID, status, len(body))
		}
		return nil
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s: status %d for a method with a response body", m.ID, status)
	}
	if err := v.checkJSON(body, m.Response.Ref, false); err != nil {
		return fmt.Errorf("%s answer: %w", m.ID, err)
	}
	return nil
}

// checkErrorBody checks {"error": {"errors": [{domain, reason, message,
// location?, locationType?}], "code", "message"}}.
func checkErrorBody(body []byte, status int) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 1 || raw["error"] == nil {
		return fmt.Errorf("error body is not {\"error\": …}: %s", body)
	}
	dec := json.NewDecoder(bytes.NewReader(raw["error"]))
	dec.DisallowUnknownFields()
	var e struct {
		Errors []struct {
			Domain       string `json:"domain"`
			Reason       string `json:"reason"`
			Message      string `json:"message"`
			Location     string `json:"location"`
			LocationType string `json:"locationType"`
		} `json:"errors"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("error body: %w", err)
	}
	if e.Code != status || e.Message == "" || len(e.Errors) == 0 {
		return fmt.Errorf("error body: code %d (status %d), message %q, %d errors", e.Code, status, e.Message, len(e.Errors))
	}
	for _, it := range e.Errors {
		if it.Domain == "" || it.Reason == "" || it.Message == "" {
			return fmt.Errorf("error body: an item lacks domain, reason or message: %s", body)
		}
	}
	return nil
}
