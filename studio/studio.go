// Package studio owns the web UI of the platform: its TypeScript sources
// (src/), the build that turns them into the static assets committed under
// dist/, and the HTTP handler that serves those assets, embedded in the
// binary, at /studio.
//
// The studio is a client of the public REST API only: this package must not
// import objects, runtime, plugins or seed, nor any store. It imports fiber
// because it mounts itself on the server's fiber application.
//
// Serving rules: files under /studio/assets/ carry a content hash in their
// name and are cached for a year as immutable; index.html is revalidated on
// every load; a path that names no file and has no extension is a route of
// the single-page application and gets index.html; a missing asset is 404.
// When the client accepts gzip and the build made a .gz twin, the twin is
// sent with Content-Encoding: gzip.
package studio

import (
	"embed"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Prefix is the path the studio is served under.
const Prefix = "/studio"

//go:embed all:dist
var embedded embed.FS

// Assets returns the built studio files (index.html at the root).
func Assets() fs.FS {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		panic(err) // NB: cannot happen: "dist" is a valid path embedded above.
	}
	return sub
}

// Mount registers the studio's routes on app: GET and HEAD of /studio and
// everything below it.
func Mount(app *fiber.App) {
	h := &handler{files: Assets()}
	// NB: without strict routing fiber sends "/studio/" to this route too;
	// only the bare prefix is redirected, or the redirect would loop.
	app.Get(Prefix, func(c *fiber.Ctx) error {
		if c.Path() == Prefix {
			return c.Redirect(Prefix+"/", fiber.StatusMovedPermanently)
		}
		return h.serve(c)
	})
	app.Get(Prefix+"/*", h.serve)
}

type handler struct {
	files fs.FS
}

// securityHeaders keep the studio from being framed or sniffed and confine
// scripts to its own bundle. Styles may be inline: the code editor injects
// its theme as style elements.
func securityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}

func (h *handler) serve(c *fiber.Ctx) error {
	name := path.Clean("/" + c.Params("*"))[1:]
	if name == "" {
		name = "index.html"
	}
	isAsset := strings.HasPrefix(name, "assets/")
	if !isAsset && name != "index.html" && !fileExists(h.files, name) {
		if path.Ext(name) != "" {
			return fiber.NewError(fiber.StatusNotFound, "no such studio file")
		}
		name = "index.html" // a client-side route
	}
	if isAsset {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	securityHeaders(c)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		if body, err := fs.ReadFile(h.files, name+".gz"); err == nil {
			c.Set(fiber.HeaderContentType, ctype)
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(body)
		}
	}
	body, err := fs.ReadFile(h.files, name)
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no such studio file")
	}
	c.Set(fiber.HeaderContentType, ctype)
	return c.Send(body)
}

func fileExists(files fs.FS, name string) bool {
	st, err := fs.Stat(files, name)
	return err == nil && !st.IsDir()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (a
// q=0 entry refuses it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(enc) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
