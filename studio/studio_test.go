package studio

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func newApp() *fiber.App {
	app := fiber.New()
	Mount(app)
	return app
}

// entryScript finds the hashed entry script named by the built index.html.
func entryScript(t *testing.T) string {
	t.Helper()
	html, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatalf("the build has no index.html: %v", err)
	}
	m := regexp.MustCompile(`src="(assets/[^"]+\.js)"`).FindSubmatch(html)
	if m == nil {
		t.Fatalf("index.html names no entry script:\n%s", html)
	}
	return string(m[1])
}

func TestMount_servesFilesRoutesAndErrors(t *testing.T) {
	app := newApp()
	entry := entryScript(t)
	cases := []struct {
		name, path, acceptEncoding string
		status                     int
		cacheControl, contentType  string
		gzip                       bool
		bodyContains               string
	}{
		{name: "the bare prefix redirects to the slash form", path: "/studio", status: 301},
		{name: "the root is index.html, revalidated", path: "/studio/", status: 200, cacheControl: "no-cache", contentType: "text/html", bodyContains: entry},
		{name: "a client route falls back to index.html", path: "/studio/o/invoice/abc", status: 200, cacheControl: "no-cache", contentType: "text/html", bodyContains: entry},
		{name: "a hashed asset is immutable for a year", path: "/studio/" + entry, status: 200, cacheControl: "public, max-age=31536000, immutable", contentType: "javascript"},
		{name: "gzip is sent when accepted", path: "/studio/" + entry, acceptEncoding: "br, gzip", status: 200, contentType: "javascript", gzip: true},
		{name: "gzip with q=0 is refused", path: "/studio/" + entry, acceptEncoding: "gzip;q=0", status: 200, contentType: "javascript"},
		{name: "a missing asset is 404, not the page", path: "/studio/assets/nope-123.js", status: 404},
		{name: "a missing file with an extension is 404", path: "/studio/favicon.png", status: 404},
		{name: "dot segments cannot climb out of the assets", path: "/studio/../../studio.go", status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tc.acceptEncoding)
			}
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if tc.cacheControl != "" && res.Header.Get("Cache-Control") != tc.cacheControl {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), tc.cacheControl)
			}
			if !strings.Contains(res.Header.Get("Content-Type"), tc.contentType) {
				t.Errorf("Content-Type %q, want it to contain %q", res.Header.Get("Content-Type"), tc.contentType)
			}
			if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", res.Header)
			}
			body := io.Reader(res.Body)
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
				t.Fatalf("gzip encoded = %v, want %v", got, tc.gzip)
			}
			if tc.gzip {
				zr, err := gzip.NewReader(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			raw, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.bodyContains != "" && !strings.Contains(string(raw), tc.bodyContains) {
				t.Errorf("body lacks %q", tc.bodyContains)
			}
			if len(raw) == 0 {
				t.Error("empty body")
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                  false,
		"gzip":              true,
		"GZIP":              true,
		"deflate, gzip;q=1": true,
		"br":                false,
		"gzip;q=0":          false,
		"gzip; q=0.000":     false,
		"*":                 true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
