package httpx_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/logx"
	"github.com/opencrm/crm/platform/metrics"
)

// Example shows how cmd/crm wires the server and how a package mounts
// handlers on the API group. It is compiled, not run.
func Example() {
	log := logx.New(os.Stderr, slog.LevelInfo)
	m := metrics.New()
	srv := httpx.New(httpx.Config{}, log, m)
	srv.AddReadyCheck("store", func(ctx context.Context) error { return nil }) // e.g. st.Ping

	api := srv.API() // /api/v1
	api.Use(httpx.RateLimit(func(c *fiber.Ctx) string { return c.Get(fiber.HeaderAuthorization) }, 20, 40))
	api.Post("/notes", func(c *fiber.Ctx) error {
		var body struct {
			Text string `json:"text"`
		}
		if err := httpx.DecodeJSON(c, &body); err != nil {
			return err
		}
		if strings.TrimSpace(body.Text) == "" {
			return errs.New(errs.Invalid, "note.invalid", "a note needs text").
				WithField("text", "required", "must not be empty")
		}
		logx.From(c.UserContext()).Info("note accepted", "length", len(body.Text))
		return c.Status(fiber.StatusCreated).JSON(body)
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.ListenAndServe(ctx, "127.0.0.1:8080"); err != nil {
		log.Error("server", "err", err)
	}
}
