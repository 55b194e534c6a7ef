package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// schemaFiles hold the components.schemas of the OpenAPI document, written
// by hand, one file per area; the paths are built from the route table.
//
//go:embed openapi_schemas*.json
var schemaFiles embed.FS

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// videoAppsEnum, an item of an enum in the schema files, stands for the
// IDs of the catalog's video apps (video.Registry), in catalog order: the
// document lists the providers Convene offers.
const videoAppsEnum = "{video_apps}"

// textReply, as a route's response schema, is a text/plain body.
const textReply = "text/plain"

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	s.openapiOnce.Do(func() { s.openapiDoc, s.openapiErr = json.Marshal(s.OpenAPI()) })
	if s.openapiErr != nil {
		return s.openapiErr
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openapiDoc)
	return nil
}

// OpenAPI returns the OpenAPI 3.1 document of every route of the API.
func (s *Server) OpenAPI() map[string]any {
	comp := map[string]any{}
	files, _ := fs.Glob(schemaFiles, "openapi_schemas*.json")
	for _, f := range files {
		b, _ := schemaFiles.ReadFile(f)
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			panic("web: " + f + ": " + err.Error())
		}
		for k, v := range part {
			if _, dup := comp[k]; dup {
				panic("web: schema " + k + " defined twice")
			}
			comp[k] = v
		}
	}
	// Each provider's webhook reply, from its catalog entry.
	if s.Apps != nil {
		for _, a := range s.Apps.Registry.Apps() {
			if a.Webhook == nil || a.Webhook.ReplySchema == "" {
				continue
			}
			var v any
			if err := json.Unmarshal(a.Webhook.ReplyJSONSchema, &v); err != nil {
				panic("web: the webhook reply schema of " + a.ID + ": " + err.Error())
			}
			if _, dup := comp[a.Webhook.ReplySchema]; dup {
				panic("web: schema " + a.Webhook.ReplySchema + " defined twice")
			}
			comp[a.Webhook.ReplySchema] = v
		}
	}
	var ids []any
	if s.Apps != nil {
		for _, id := range s.Apps.Registry.IDs() {
			ids = append(ids, id)
		}
	}
	expandEnums(comp, ids)
	routes := s.routes
	if routes == nil {
		routes = s.routeTable()
	}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		item := paths[rt.path]
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	paths["/metrics"] = map[string]any{"get": map[string]any{
		"summary":     "Prometheus metrics",
		"operationId": "getMetrics",
		"responses": map[string]any{"200": map[string]any{"description": "Prometheus text format",
			"content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}},
	}}
	var mountDocs []string
	for prefix := range s.Mounts {
		mountDocs = append(mountDocs, "/"+strings.Trim(prefix, "/")+"/")
	}
	sort.Strings(mountDocs)
	desc := "Convene's JSON API. Errors are RFC 9457 problem documents. Authenticate with Authorization: Bearer TOKEN."
	if len(mountDocs) > 0 {
		desc += " Also served, outside this description: " + strings.Join(mountDocs, ", ") +
			" (the Zoom sandbox speaks Zoom's API as Zoom's own OpenAPI document describes it, the Graph sandbox Microsoft Graph's as Microsoft's published types describe it, the Google sandbox Google Calendar v3 as Google's discovery document describes it; /dav/ speaks CalDAV, RFC 4791)."
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title": "Convene API", "version": "1", "description": desc,
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": comp,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "A Convene API token (cvn_…)."},
			},
		},
	}
}

func operation(rt route) map[string]any {
	op := map[string]any{"summary": rt.summary, "operationId": operationID(rt)}
	if rt.admin {
		op["description"] = "Admin only: owners and admins of the account."
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "required": q.required,
			"description": q.doc, "schema": map[string]any{"type": q.typ}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	switch {
	case rt.request != "":
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": ref(rt.request)}}}
	case rt.reqType == "application/json":
		// A body in another's format (a provider's notification), which
		// some challenges come without.
		op["requestBody"] = map[string]any{"required": false, "content": map[string]any{
			rt.reqType: map[string]any{"schema": map[string]any{"type": "object", "description": "As its sender writes it."}}}}
	case rt.reqType != "":
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			rt.reqType: map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	resp := map[string]any{}
	for status, schema := range rt.resp {
		r := map[string]any{"description": http.StatusText(status)}
		if schema == textReply {
			r["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		} else if schema != "" {
			ct := "application/json"
			if schema == "Problem" {
				ct = "application/problem+json"
			}
			r["content"] = map[string]any{ct: map[string]any{"schema": ref(schema)}}
		}
		resp[strconv.Itoa(status)] = r
	}
	resp["default"] = map[string]any{"description": "Problem", "content": map[string]any{
		"application/problem+json": map[string]any{"schema": ref("Problem")}}}
	op["responses"] = resp
	if rt.auth == authToken {
		op["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return op
}

// expandEnums replaces, in every enum under v, the item videoAppsEnum with
// ids.
func expandEnums(v any, ids []any) {
	switch v := v.(type) {
	case map[string]any:
		if enum, ok := v["enum"].([]any); ok {
			var out []any
			for _, e := range enum {
				if e == videoAppsEnum {
					out = append(out, ids...)
				} else {
					out = append(out, e)
				}
			}
			if len(out) == 0 {
				delete(v, "enum") // no app: any string
			} else {
				v["enum"] = out
			}
		}
		for _, c := range v {
			expandEnums(c, ids)
		}
	case []any:
		for _, c := range v {
			expandEnums(c, ids)
		}
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// operationID derives a stable operationId from method and path:
// POST /api/v1/domains/{domain}/verify → postDomainsDomainVerify.
func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	p := strings.TrimPrefix(rt.path, "/api/v1")
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
