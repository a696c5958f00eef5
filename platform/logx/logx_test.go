package logx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
)

func decodeLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestNew_requestIDOnEveryContextLineExactlyOnce(t *testing.T) {
	ctx := WithRequestID(context.Background(), "req-1")
	for _, tc := range []struct {
		name string
		log  func(l *slog.Logger)
		want string // "" means no request_id
	}{
		{"context method adds it", func(l *slog.Logger) { l.InfoContext(ctx, "m") }, "req-1"},
		{"request logger bound with With keeps one", func(l *slog.Logger) {
			From(WithLogger(ctx, l.With(KeyRequestID, "req-1"))).InfoContext(ctx, "m")
		}, "req-1"},
		{"line without context has none", func(l *slog.Logger) { l.Info("m") }, ""},
		{"grouped logger with attributes still adds it at top level", func(l *slog.Logger) {
			l.With("a", 1).WithGroup("g").With("b", 2).InfoContext(ctx, "m", "c", 3)
		}, "req-1"},
		{"grouped logger still adds it at top level", func(l *slog.Logger) { l.WithGroup("g").InfoContext(ctx, "m", "a", 1) }, "req-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(New(&buf, slog.LevelInfo))
			lines := decodeLines(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("want 1 line, got %d: %s", len(lines), buf.String())
			}
			if n := strings.Count(buf.String(), KeyRequestID); tc.want != "" && n != 1 {
				t.Fatalf("request_id appears %d times: %s", n, buf.String())
			}
			got, _ := lines[0][KeyRequestID].(string)
			if tc.want == "" {
				if _, ok := lines[0][KeyRequestID]; ok {
					t.Fatalf("unexpected request_id: %s", buf.String())
				}
				return
			}
			if got != tc.want {
				t.Fatalf("request_id = %q, want %q (%s)", got, tc.want, buf.String())
			}
		})
	}
}

func TestNew_levelFiltersLines(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelWarn)
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Fatalf("level not applied: %s", buf.String())
	}
}

func TestNew_formatFollowsTheWriter(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		name string
		w    *os.File
		text bool
	}{
		{"character device gets text", devnull, true},
		{"pipe gets JSON", w, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(tc.w, slog.LevelInfo).Handler().(*contextHandler)
			_, isText := h.next.(*slog.TextHandler)
			if isText != tc.text {
				t.Fatalf("text handler = %v, want %v (%T)", isText, tc.text, h.next)
			}
		})
	}
}

func TestContext_roundTrips(t *testing.T) {
	ctx := context.Background()
	if RequestID(ctx) != "" {
		t.Fatal("empty context has a request id")
	}
	if From(ctx) != slog.Default() {
		t.Fatal("From without logger is not slog.Default")
	}
	l := slog.New(slog.DiscardHandler)
	ctx = WithLogger(WithRequestID(ctx, "abc"), l)
	if RequestID(ctx) != "abc" || From(ctx) != l {
		t.Fatal("values not carried")
	}
}
