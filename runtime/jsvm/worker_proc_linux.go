//go:build linux

package jsvm

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
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
func (p *procRSS) bytes() int64 { return p.field(1) }

// data returns the process's data segment (private writable memory: the Go
// heap and stacks) in bytes, or -1.
func (p *procRSS) data() int64 { return p.field(5) }

// field reads the i-th figure of statm, in bytes.
func (p *procRSS) field(i int) int64 {
	if p.f == nil {
		return -1
	}
	n, err := p.f.ReadAt(p.buf[:], 0)
	if n == 0 && err != nil {
		return -1
	}
	fields := bytes.Fields(p.buf[:n])
	if len(fields) <= i {
		return -1
	}
	pages, err := strconv.ParseInt(string(fields[i]), 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// limitData sets the process's RLIMIT_DATA: an allocation past it fails,
// and the Go runtime dies with "out of memory".
func limitData(pid int, n int64) error {
	return unix.Prlimit(pid, unix.RLIMIT_DATA, &unix.Rlimit{Cur: uint64(n), Max: uint64(n)}, nil)
}

func (p *procRSS) close() {
	if p.f != nil {
		p.f.Close()
	}
}
