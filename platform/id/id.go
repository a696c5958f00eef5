// Package id makes the platform's identifiers and secrets: time-ordered
// record ids and random secrets. It imports nothing of the project.
package id

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"
)

// Record ids are 20 lower-case base32 characters: 48 bits of milliseconds
// since the Unix epoch, then 52 random bits. Ids made later sort later
// (within one process strictly, across processes to the millisecond), so
// they index well and make a stable default order.
var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

var (
	mu       sync.Mutex
	lastMS   uint64
	lastRand uint64
)

// New returns a new record id.
func New() string {
	ms := uint64(time.Now().UnixMilli())
	mu.Lock()
	var r uint64
	if ms <= lastMS {
		// Same (or an earlier, after a clock step) millisecond: keep the
		// order by incrementing the random part.
		ms = lastMS
		r = lastRand + 1
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		r = binary.BigEndian.Uint64(b[:]) >> 13 // 51 bits: room to increment
	}
	lastMS, lastRand = ms, r
	mu.Unlock()
	var raw [13]byte // 104 bits -> 21 base32 chars; we keep 20 (100 bits)
	binary.BigEndian.PutUint64(raw[0:8], ms<<16)
	// raw[0:6] holds the 48-bit time; the next 52 bits hold r.
	hi := r << 12 // align 52 bits to the top of 64
	raw[6] = byte(hi >> 56)
	raw[7] = byte(hi >> 48)
	raw[8] = byte(hi >> 40)
	raw[9] = byte(hi >> 32)
	raw[10] = byte(hi >> 24)
	raw[11] = byte(hi >> 16)
	raw[12] = byte(hi >> 8)
	return enc.EncodeToString(raw[:])[:20]
}

// Secret returns n random bytes encoded as unpadded base64url: for API keys,
// session tokens and other bearer secrets.
func Secret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("id: crypto/rand failed: " + err.Error()) // NB: never happens on Linux; a weak secret would be worse
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
