package httpx

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// spareGrace is how long a connection may stay silent during a shutdown
// before it is taken for a spare and closed: the 5 seconds net/http gives a
// new connection, less, because by then the listener is closed.
const spareGrace = 2 * time.Second

// spareListener remembers the connections it accepted until they close, and
// whether each has sent a byte. NB: fasthttp (v1.51) marks a new connection
// active before reading from it, so its Shutdown never closes one that a
// client opened and never used (Go's http.Transport dials spares when
// requests run concurrently): Shutdown waited for the read timeout and
// timed out with nothing in flight. closeSpares closes those.
type spareListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*spareConn]struct{}
}

func newSpareListener(ln net.Listener) *spareListener {
	return &spareListener{Listener: ln, conns: map[*spareConn]struct{}{}}
}

func (l *spareListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &spareConn{Conn: c, l: l, accepted: time.Now()}
	l.mu.Lock()
	l.conns[sc] = struct{}{}
	l.mu.Unlock()
	return sc, nil
}

// closeSpares closes the connections that have sent nothing for at least
// grace since they were accepted, and reports how many stay open.
func (l *spareListener) closeSpares(now time.Time, grace time.Duration) (open int) {
	l.mu.Lock()
	var spares []*spareConn
	for c := range l.conns {
		if !c.used.Load() && now.Sub(c.accepted) >= grace {
			spares = append(spares, c)
		}
	}
	open = len(l.conns) - len(spares)
	l.mu.Unlock()
	for _, c := range spares {
		_ = c.Close()
	}
	return open
}

type spareConn struct {
	net.Conn
	l        *spareListener
	accepted time.Time
	used     atomic.Bool
	once     sync.Once
}

func (c *spareConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.used.Load() {
		c.used.Store(true)
	}
	return n, err
}

func (c *spareConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
