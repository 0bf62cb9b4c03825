package recorder

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/record"
)

// TestArgvAsBefore: argv, argv_raw and argv_truncated come out as the daemon's argv (kept below as
// argvRef) made them, on random argument lists and limits.
func TestArgvAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', 'b', 0, 0, 0xff, 0xc3, 0xa9, ' '}
	for i := 0; i < 20000; i++ {
		cfg := &config.Config{MaxArgs: 1 + rng.IntN(5), MaxArgLength: 1 + rng.IntN(6)}
		r := &Recorder{cfg: cfg}
		var e bpfexec.Exec
		if n := rng.IntN(16); n > 0 {
			e.Args = make([]byte, n)
			for j := range e.Args {
				e.Args[j] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		if rng.IntN(4) == 0 {
			e.Flags = bpfexec.FArgsTrunc
		}
		var got, want record.Start
		r.argv(&e, &got)
		argvRef(cfg.MaxArgs, cfg.MaxArgLength, &e, &want)
		if !reflect.DeepEqual(got.Argv, want.Argv) || !reflect.DeepEqual(got.ArgvRaw, want.ArgvRaw) || got.ArgvTruncated != want.ArgvTruncated ||
			string(got.AppendJSON(nil)) != string(want.AppendJSON(nil)) {
			t.Fatalf("args %q max %d/%d:\n got %q %q %v\nwant %q %q %v", e.Args, cfg.MaxArgs, cfg.MaxArgLength,
				got.Argv, got.ArgvRaw, got.ArgvTruncated, want.Argv, want.ArgvRaw, want.ArgvTruncated)
		}
	}
}

// argvRef is lib/daemon's argv before the recorder, as the reference: it splits the NUL-separated
// arguments, applies max_args and max_arg_length, and keeps a lossless copy when an argument is not
// UTF-8.
func argvRef(maxArgs, maxLen int, e *bpfexec.Exec, s *record.Start) {
	args := e.Args
	if n := len(args); n > 0 && args[n-1] == 0 {
		args = args[:n-1]
	}
	s.Argv = s.Argv[:0]
	s.ArgvTruncated = e.Flags.Has(bpfexec.FArgsTrunc)
	if len(e.Args) == 0 {
		return
	}
	var raw [][]byte
	valid := true
	for _, a := range bytes.Split(args, []byte{0}) {
		if len(s.Argv) == maxArgs {
			s.ArgvTruncated = true
			break
		}
		if len(a) > maxLen {
			a = a[:maxLen]
			s.ArgvTruncated = true
		}
		raw = append(raw, a)
		if !utf8.Valid(a) {
			valid = false
		}
		s.Argv = append(s.Argv, validUTF8(a))
	}
	if !valid {
		for _, a := range raw {
			s.ArgvRaw = append(s.ArgvRaw, base64.StdEncoding.EncodeToString(a))
		}
	}
}
