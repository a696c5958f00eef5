package httpx_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/httpx"
)

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

func TestDecodeJSON_refusesWhatIsNotOneWellFormedJSONValue(t *testing.T) {
	type typed struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	e := newEnv(t, httpx.Config{MaxJSONDepth: 4}, func(s *httpx.Server) {
		s.API().Post("/any", func(c *fiber.Ctx) error {
			var v map[string]any
			if err := httpx.DecodeJSON(c, &v); err != nil {
				return err
			}
			return c.JSON(fiber.Map{"got": v, "type": fmt.Sprintf("%T", v["n"])})
		})
		s.API().Post("/typed", func(c *fiber.Ctx) error {
			var v typed
			if err := httpx.DecodeJSON(c, &v); err != nil {
				return err
			}
			return c.JSON(v)
		})
		s.API().Post("/strict", func(c *fiber.Ctx) error {
			var v typed
			if err := httpx.DecodeStrictJSON(c, &v); err != nil {
				return err
			}
			return c.JSON(v)
		})
	})
	const js = "application/json"
	for _, tc := range []struct {
		name, path, ctype, body string
		extra                   []string
		status                  int
		code                    string
		position                int // expected offset member, when not 0
	}{
		{name: "valid object decodes", path: "/any", ctype: js, body: `{"n": 1}`, status: 200},
		{name: "+json media type with utf-8 charset decodes", path: "/any", ctype: "application/merge-patch+json; charset=UTF-8", body: `{"n":1}`, status: 200},
		{name: "syntax error names its offset", path: "/any", ctype: js, body: `{"a": 1, "b": tru}`, status: 400, code: "request.malformed_body", position: 18},
		{name: "truncated body is malformed at its end", path: "/any", ctype: js, body: `{"a": [1, 2`, status: 400, code: "request.malformed_body", position: 11},
		{name: "empty body is malformed", path: "/any", ctype: js, body: ``, status: 400, code: "request.malformed_body"},
		{name: "trailing value is refused", path: "/any", ctype: js, body: `{"a":1} {"b":2}`, status: 400, code: "request.malformed_body", position: 9},
		{name: "trailing white space is fine", path: "/any", ctype: js, body: "{\"a\":1} \n\t", status: 200},
		{name: "nesting at the limit decodes", path: "/any", ctype: js, body: `{"a":[[{"b":1}]]}`, status: 200},
		{name: "nesting over the limit is refused", path: "/any", ctype: js, body: `{"a":[[[{"b":1}]]]}`, status: 400, code: "request.json_too_deep", position: 9},
		{name: "brackets inside strings do not count", path: "/any", ctype: js, body: `{"a":"[[[[[[{{{{\"[["}`, status: 200},
		{name: "text/plain is refused", path: "/any", ctype: "text/plain", body: `{"a":1}`, status: 400, code: "request.unsupported_media_type"},
		{name: "missing content type is refused", path: "/any", ctype: "", body: `{"a":1}`, status: 400, code: "request.unsupported_media_type"},
		{name: "non-UTF-8 charset is refused", path: "/any", ctype: "application/json; charset=latin1", body: `{"a":1}`, status: 400, code: "request.unsupported_media_type"},
		{name: "gzip body is refused", path: "/any", ctype: js, body: gzipped(`{"a":1}`), extra: []string{"Content-Encoding", "gzip"}, status: 400, code: "request.unsupported_encoding"},
		{name: "wrong type for a struct field is 422 naming it", path: "/typed", ctype: js, body: `{"name":"x","count":"many"}`, status: 422, code: "request.wrong_type"},
		{name: "an unknown member of a struct is ignored", path: "/typed", ctype: js, body: `{"name":"x","cuont":1}`, status: 200},
		{name: "strict: an unknown member is 422 naming it", path: "/strict", ctype: js, body: `{"name":"x","cuont":1}`, status: 422, code: "request.unknown_member"},
		{name: "strict: known members decode", path: "/strict", ctype: js, body: `{"name":"x","count":1}`, status: 200},
		{name: "strict: a wrong type is still request.wrong_type", path: "/strict", ctype: js, body: `{"count":"many"}`, status: 422, code: "request.wrong_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := append([]string{}, tc.extra...)
			if tc.ctype != "" {
				hdr = append(hdr, "Content-Type", tc.ctype)
			}
			r := e.do(t, "POST", "/api/v1"+tc.path, strings.NewReader(tc.body), hdr...)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			p := problem(t, r, tc.status, tc.code)
			if tc.position != 0 && p["offset"] != float64(tc.position) {
				t.Fatalf("offset = %v, want %d: %s", p["offset"], tc.position, r.body)
			}
			if want := map[string]string{"request.wrong_type": "count", "request.unknown_member": "cuont"}[tc.code]; want != "" {
				fe, _ := p["errors"].([]any)
				if len(fe) != 1 || fe[0].(map[string]any)["field"] != want {
					t.Fatalf("errors = %v", p["errors"])
				}
			}
		})
	}
}

func TestDecodeJSON_keepsLargeIntegersExact(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Post("/n", func(c *fiber.Ctx) error {
			var v map[string]any
			if err := httpx.DecodeJSON(c, &v); err != nil {
				return err
			}
			n, ok := v["n"].(json.Number)
			if !ok {
				return fmt.Errorf("n is %T", v["n"])
			}
			i, err := n.Int64()
			if err != nil {
				return err
			}
			return c.SendString(fmt.Sprint(i + 1))
		})
	})
	r := e.do(t, "POST", "/api/v1/n", strings.NewReader(`{"n": 9007199254740993}`), "Content-Type", "application/json")
	if r.status != 200 || string(r.body) != "9007199254740994" {
		t.Fatalf("got %d %s, want 9007199254740994 (float64 would round)", r.status, r.body)
	}
}
