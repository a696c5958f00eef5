package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 holds the argon2id cost parameters for password hashes. The zero
// value means the defaults: 19 MiB, 2 passes, 1 lane (OWASP's minimum
// recommendation, about 25 ms on one core here).
type Argon2 struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

func (a Argon2) withDefaults() Argon2 {
	if a.MemoryKiB == 0 {
		a.MemoryKiB = 19 * 1024
	}
	if a.Time == 0 {
		a.Time = 2
	}
	if a.Threads == 0 {
		a.Threads = 1
	}
	return a
}

// hashPassword returns a PHC-formatted argon2id hash of password.
func (a Argon2) hashPassword(password string) string {
	a = a.withDefaults()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, a.Time, a.MemoryKiB, a.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.MemoryKiB, a.Time, a.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether password matches the encoded hash, in time
// that does not depend on where they differ. The parameters are read from the
// hash, so raising the defaults does not break existing users.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
