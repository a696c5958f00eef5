package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary builds the crm binary once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "crm-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "crm")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

type child struct {
	cmd *exec.Cmd
	url string
	out *strings.Builder
	mu  sync.Mutex
}

// start runs `crm serve` on a free loopback port with the given data
// directory and waits until it prints its address.
func start(t *testing.T, dataDir string, extra ...string) *child {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CRM_BOOTSTRAP_TOKEN=boot", "CRM_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: &strings.Builder{}}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case c.url = <-urls:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not print its address within 20 s")
	}
	return c
}

func (c *child) output() string { c.mu.Lock(); defer c.mu.Unlock(); return c.out.String() }

func call(method, url, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func TestServe_answersHealthQuicklyAndDrainsOnSIGTERM(t *testing.T) {
	if _, err := binary(); err != nil { // build first: start-up time excludes the build
		t.Fatal(err)
	}
	begin := time.Now()
	c := start(t, t.TempDir(), "--demo")
	for {
		code, _, err := call("GET", c.url+"/healthz", "", "")
		if err == nil && code == 200 {
			break
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatalf("/healthz not 200 after 10 s: %d %v", code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("healthz answered %v after start", time.Since(begin).Round(time.Millisecond))
	// The output is read by another goroutine: give it a moment.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(c.output(), "admin@demo.test"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("--demo did not print the demo sign-in: %s", c.output())
		}
	}
	code, _, err := call("POST", c.url+"/api/v1/auth/login", "", `{"tenant":"demo","email":"admin@demo.test","password":"demo-password"}`)
	if err != nil || code != 200 {
		t.Fatalf("demo login: %d %v", code, err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM the server exited with %v, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not exit within 20 s of SIGTERM")
	}
}

// TestCrash_acknowledgedWritesSurviveKill9 writes from several clients,
// counts the writes the server acknowledged, kills the process with SIGKILL
// mid-stream, restarts it on the same data and finds every acknowledged write.
func TestCrash_acknowledgedWritesSurviveKill9(t *testing.T) {
	data := t.TempDir()
	c := start(t, data)
	code, body, err := call("POST", c.url+"/api/v1/platform/tenants", "boot",
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse"}}`)
	if err != nil || code != 201 {
		t.Fatalf("onboard: %d %s %v", code, body, err)
	}
	var tenant struct{ APIKey string }
	if err := json.Unmarshal(body, &tenant); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[string]string{} // id -> email
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("user%d-%d@acme.test", w, i)
				code, body, err := call("POST", c.url+"/api/v1/users", tenant.APIKey,
					`{"email":"`+email+`","password":"12345678"}`)
				if err != nil || code != 201 {
					return // the server is gone
				}
				var u struct{ ID string }
				if json.Unmarshal(body, &u) == nil && u.ID != "" {
					mu.Lock()
					acked[u.ID] = email
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once enough writes are acknowledged, while writes are in flight.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 60 || time.Now().After(deadline) {
			break
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	stop()
	wg.Wait()
	if len(acked) < 60 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}

	c2 := start(t, data)
	for id, email := range acked {
		code, body, err := call("GET", c2.url+"/api/v1/users/"+id, tenant.APIKey, "")
		if err != nil || code != 200 || !strings.Contains(string(body), email) {
			t.Fatalf("acknowledged user %s (%s) lost after kill -9: %d %s %v", id, email, code, body, err)
		}
	}
	t.Logf("%d acknowledged writes all intact after kill -9", len(acked))
}
