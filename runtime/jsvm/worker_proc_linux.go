//go:build linux

package jsvm

import (
	"bytes"
	"os"
	"strconv"
)

// procRSS reads a process's resident set from /proc/PID/statm.
type procRSS struct {
	f   *os.File
	buf [128]byte
}

func openRSS(pid int) *procRSS {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return &procRSS{}
	}
	return &procRSS{f: f}
}

// bytes returns the resident set in bytes, or -1 when it cannot be read
// (the process is gone, or this is not Linux).
func (p *procRSS) bytes() int64 {
	if p.f == nil {
		return -1
	}
	n, err := p.f.ReadAt(p.buf[:], 0)
	if n == 0 && err != nil {
		return -1
	}
	fields := bytes.Fields(p.buf[:n])
	if len(fields) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

func (p *procRSS) close() {
	if p.f != nil {
		p.f.Close()
	}
}
