package httpx_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/httpx"
)

// slowRoute mounts GET /api/v1/slow, which signals entered and then waits
// for release (or its context) before answering 200.
func slowRoute(entered chan<- struct{}, release <-chan struct{}, ctxErr chan<- error) func(s *httpx.Server) {
	return func(s *httpx.Server) {
		s.API().Get("/slow", func(c *fiber.Ctx) error {
			entered <- struct{}{}
			select {
			case <-release:
				return c.SendString("finished")
			case <-c.UserContext().Done():
				ctxErr <- c.UserContext().Err()
				return c.UserContext().Err()
			}
		})
	}
}

func TestServe_drainsInFlightRequestAndRefusesNewConnections(t *testing.T) {
	entered, release, ctxErr := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	e := newEnv(t, httpx.Config{ShutdownTimeout: 10 * time.Second}, slowRoute(entered, release, ctxErr))

	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		res, err := e.client.Get(e.url + "/api/v1/slow")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		inflight <- result{status: res.StatusCode, body: string(b)}
	}()
	<-entered
	// A connection that has begun a request before the shutdown: it is not
	// idle, so it is served during the drain and sees /readyz fail.
	early, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if _, err := io.WriteString(early, "GET /readyz HTTP/1.1\r\nHost: test\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server accept it before cancel
	e.cancel()

	// The listener closes: a new connection is refused while the slow
	// request still runs.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", e.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := io.WriteString(early, "\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = early.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(early), nil)
	if err != nil {
		t.Fatalf("reading /readyz during the drain: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"server.draining"`) {
		t.Fatalf("readyz while draining = %d %s, want 503 server.draining", res.StatusCode, body)
	}
	select {
	case err := <-e.served:
		t.Fatalf("Serve returned (%v) before the in-flight request finished", err)
	default:
	}

	close(release)
	r := <-inflight
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %+v, want 200 finished", r)
	}
	select {
	case err := <-e.served:
		if err != nil {
			t.Fatalf("Serve returned %v after a clean drain, want nil", err)
		}
		e.served <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
}

func TestServe_drainTimeoutCancelsRequestsAndReturnsError(t *testing.T) {
	entered, release, ctxErr := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	defer close(release)
	e := newEnv(t, httpx.Config{ShutdownTimeout: 200 * time.Millisecond}, slowRoute(entered, release, ctxErr))
	go func() {
		if res, err := e.client.Get(e.url + "/api/v1/slow"); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	e.cancel()
	select {
	case err := <-e.served:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve = %v, want an error wrapping DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Serve took %s with a 200ms drain", d)
		}
		e.served <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up after ShutdownTimeout")
	}
	select {
	case err := <-ctxErr:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler context ended with %v, want Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not cancelled")
	}
}

func TestServe_servesOnceAndReturnsListenErrors(t *testing.T) {
	srv := httpx.New(httpx.Config{}, nil, nil)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Serve(ctx, listen()); err != nil {
		t.Fatalf("Serve with a cancelled context = %v, want nil", err)
	}
	if err := srv.Serve(context.Background(), listen()); err == nil {
		t.Fatal("second Serve succeeded")
	}
	busy := listen()
	defer busy.Close()
	if err := httpx.New(httpx.Config{}, nil, nil).ListenAndServe(context.Background(), busy.Addr().String()); err == nil {
		t.Fatal("ListenAndServe on a used address succeeded")
	}
}

func TestNew_refusesNegativeConfig(t *testing.T) {
	if err := (httpx.Config{BodyLimit: -1}).Validate(); err == nil {
		t.Fatal("negative BodyLimit accepted")
	}
	if err := (httpx.Config{}).Validate(); err != nil {
		t.Fatalf("zero config refused: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted a negative timeout")
		}
	}()
	httpx.New(httpx.Config{RequestTimeout: -time.Second}, nil, nil)
}

// A connection a client opened and never used (Go's http.Transport dials
// spares under concurrency) held the shutdown until the read timeout:
// fasthttp counts it as active, and Serve failed with nothing in flight.
func TestServe_closesSpareConnectionsOnShutdown(t *testing.T) {
	e := newEnv(t, httpx.Config{ShutdownTimeout: 6 * time.Second}, nil)
	spare, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer spare.Close()
	time.Sleep(100 * time.Millisecond) // accepted by the server
	start := time.Now()
	e.cancel()
	select {
	case err := <-e.served:
		if err != nil {
			t.Fatalf("Serve returned %v with nothing in flight, want nil", err)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Fatalf("shutdown took %s", took)
		}
		e.served <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	_ = spare.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := spare.Read(make([]byte, 1)); err == nil {
		t.Fatal("the spare connection is still open")
	}
}
