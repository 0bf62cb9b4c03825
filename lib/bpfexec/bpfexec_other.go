//go:build !linux

package bpfexec

import (
	"errors"
	"fmt"
)

// Probe is the loaded and attached program set; on this platform Open never returns one.
type Probe struct {
	Attach    []string
	FailedErr error
}

// Check says what this machine lacks for Open: here, Linux.
func Check() error {
	return fmt.Errorf("recording execs needs Linux: %w", errors.ErrUnsupported)
}

// Open returns an error wrapping errors.ErrUnsupported.
func Open(Options) (*Probe, error) {
	return nil, Check()
}

// Close does nothing.
func (p *Probe) Close() error { return nil }
