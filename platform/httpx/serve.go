package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// ListenAndServe listens on the TCP address addr ("127.0.0.1:8080") and
// serves until ctx is cancelled, as Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpx: listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: /readyz turns 503 at once, the listener closes (new
// connections are refused), idle keep-alive connections close (and so do
// connections that have sent nothing for 2 seconds: spares a client opened),
// and requests in flight run to completion for up to Config.ShutdownTimeout. It returns
// nil after a complete drain. If requests are still running when the time is
// up, their contexts are cancelled and Serve returns an error wrapping
// context.DeadlineExceeded; those connections are left to close when their
// handlers return. It returns the listener's error if serving fails before
// ctx is cancelled. Serve closes ln. A server serves once.
//
// The usual wiring in cmd/crm:
//
//	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	if err := srv.ListenAndServe(ctx, addr); err != nil { ... exit 1 }
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.started.CompareAndSwap(false, true) {
		_ = ln.Close()
		return errServeTwice
	}
	defer s.cancelBase()
	done := make(chan error, 1)
	s.serving.Store(true)
	spares := newSpareListener(ln)
	go func() { done <- s.app.Listener(spares) }()

	select {
	case err := <-done:
		s.serving.Store(false)
		if err != nil {
			return fmt.Errorf("httpx: serve: %w", err)
		}
		return errors.New("httpx: serve: the listener stopped")
	case <-ctx.Done():
	}

	s.draining.Store(true)
	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	stopSpares := make(chan struct{})
	go func() { // closes connections that were opened and never used
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSpares:
				return
			case now := <-tick.C:
				spares.closeSpares(now, spareGrace)
			}
		}
	}()
	shutErr := s.app.ShutdownWithContext(sctx)
	close(stopSpares)
	// If Listener had not yet registered ln with fasthttp when Shutdown
	// ran, closing it here makes its Serve return at once.
	_ = ln.Close()
	var serveErr error
	select {
	case serveErr = <-done:
	case <-sctx.Done():
	}
	s.serving.Store(false)
	left := s.inFlight.Load()
	if shutErr != nil || left > 0 {
		s.cancelBase()
		s.log.Error("shutdown timed out; in-flight requests cancelled",
			"in_flight", left, "timeout", s.cfg.ShutdownTimeout.String())
		return fmt.Errorf("httpx: shutdown: %d request(s) still running after %s: %w",
			left, s.cfg.ShutdownTimeout, context.DeadlineExceeded)
	}
	if serveErr != nil && !errors.Is(serveErr, net.ErrClosed) {
		return fmt.Errorf("httpx: serve: %w", serveErr)
	}
	s.log.Info("server drained", "took_ms", time.Since(start).Milliseconds())
	return nil
}
