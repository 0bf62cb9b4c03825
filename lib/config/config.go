// Package config is precd's configuration: the TOML file, its defaults and validation, the trust
// check on the file, the default paths, and the filter rules compiled. It links no BPF, so prec can
// read the log path from it on any platform.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/redact"
)

// DefaultPath is where precd and prec look for the configuration.
const DefaultPath = "/etc/prec/precd.conf"

// DefaultLogPath is the log when the configuration names none.
const DefaultLogPath = "/var/log/prec/prec.log"

// Config is precd's configuration: the reference's keys, and prec's additions.
type Config struct {
	LogPath           string   `toml:"log_path"`
	Compress          string   `toml:"compress"`
	CompressLevel     *int     `toml:"compress_level"`
	FilterDefault     string   `toml:"filter_default"`
	Filter            []string `toml:"filter"`
	UserOnly          bool     `toml:"user_only"`
	LostSamplesAction string   `toml:"lost_samples_action"`
	MaxArgLength      int      `toml:"max_arg_length"`
	MaxArgs           int      `toml:"max_args"`

	// Additions.
	RingBufferSize int    `toml:"ring_buffer_size"`   // bytes; a power of two, at least 64 KiB
	FlushInterval  string `toml:"flush_interval"`     // how often records reach the file (Go duration)
	FailedExecs    *bool  `toml:"failed_execs"`       // record failed execs (default true)
	FailedExecs32  bool   `toml:"failed_execs_32bit"` // also 32-bit ones (raw syscall hooks)
	MaxPending     int    `toml:"max_pending_bytes"`  // records held in memory while the log cannot be written
	RotateSize     string `toml:"rotate_size"`        // precd rotates the log past this size ("100MiB"); "": never
	RotateAge      string `toml:"rotate_age"`         // ... or once the file is this old (Go duration); "": never
	RotateKeep     int    `toml:"rotate_keep"`        // rotated files kept besides the current one (default 5)
	Hostname       string `toml:"hostname"`           // every record's host; default the machine's name (os.Hostname)

	Level int           `toml:"-"` // CompressLevel, defaulted
	Flush time.Duration `toml:"-"`
	Rules *Rules        `toml:"-"` // user_only, filter_default and filter, compiled

	RotateBytes int64         `toml:"-"` // RotateSize in bytes; 0: no size limit
	RotateEvery time.Duration `toml:"-"` // RotateAge; 0: no age limit

	// Redaction rules (lib/redact): nil (no key) means redact.Defaults(), an empty list none.
	Redact   *[]string   `toml:"redact"`
	Redactor *redact.Set `toml:"-"` // Redact compiled; never nil after Load
}

var legacyKeys = []string{"include_uids", "exclude_uids", "include_gids", "exclude_gids", "include_users",
	"exclude_users", "include_groups", "exclude_groups", "include_exe_prefixes", "exclude_exe_prefixes"}

// Load reads the TOML file at path; a missing file means all defaults. Any unknown key or
// invalid value is an error naming the key and the value.
// The file, and every directory above it, must be owned by root (or by the user precd runs as) and
// not writable by group or others (see checkTrusted): whoever can write it chooses the log and the
// rules that hide commands.
func Load(path string) (*Config, error) { return load(path, true) }

func load(path string, trusted bool) (*Config, error) {
	c := &Config{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, c.normalize()
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if trusted {
		if err := checkTrusted(f); err != nil {
			return nil, err
		}
	}
	md, err := toml.NewDecoder(f).Decode(c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range md.Undecoded() {
		key := k.String()
		for _, l := range legacyKeys {
			if key == l {
				return nil, fmt.Errorf("%s: %s is no longer supported; use filter_default and filter", path, key)
			}
		}
		return nil, fmt.Errorf("%s: unknown key %q", path, key)
	}
	if err := c.normalize(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *Config) normalize() error {
	if strings.TrimSpace(c.LogPath) == "" {
		c.LogPath = DefaultLogPath
	}
	c.Compress = strings.ToLower(strings.TrimSpace(c.Compress))
	if c.Compress == "" {
		c.Compress = logio.Zstd
	}
	switch c.Compress {
	case logio.Plain, logio.Gzip, logio.Zstd:
	default:
		return fmt.Errorf("invalid compress: %q (allowed: no, gz, zstd)", c.Compress)
	}
	c.Level = logio.DefaultLevel(c.Compress)
	if c.CompressLevel != nil && c.Compress != logio.Plain {
		c.Level = *c.CompressLevel
		if err := logio.CheckLevel(c.Compress, c.Level); err != nil {
			return err
		}
	}
	c.FilterDefault = strings.ToLower(strings.TrimSpace(c.FilterDefault))
	if c.FilterDefault == "" {
		c.FilterDefault = "allow"
	}
	if c.FilterDefault != "allow" && c.FilterDefault != "deny" {
		return fmt.Errorf("invalid filter_default: %q (allowed: allow, deny)", c.FilterDefault)
	}
	c.LostSamplesAction = strings.ToLower(strings.TrimSpace(c.LostSamplesAction))
	if c.LostSamplesAction == "" {
		c.LostSamplesAction = "log"
	}
	switch c.LostSamplesAction {
	case "log", "ignore", "stop":
	default:
		return fmt.Errorf("invalid lost_samples_action: %q (allowed: log, ignore, stop)", c.LostSamplesAction)
	}
	if c.MaxArgLength <= 0 {
		c.MaxArgLength = 1024
	}
	if c.MaxArgs <= 0 {
		c.MaxArgs = 128
	}
	if c.RingBufferSize == 0 {
		c.RingBufferSize = 8 << 20
	}
	if n := c.RingBufferSize; n < 64<<10 || n&(n-1) != 0 {
		return fmt.Errorf("invalid ring_buffer_size: %d (a power of two, at least 65536)", n)
	}
	if c.FlushInterval == "" {
		c.FlushInterval = "1s"
	}
	d, err := time.ParseDuration(c.FlushInterval)
	if err != nil || d < 10*time.Millisecond || d > time.Hour {
		return fmt.Errorf("invalid flush_interval: %q (a duration from 10ms to 1h, e.g. \"1s\")", c.FlushInterval)
	}
	c.Flush = d
	if c.MaxPending == 0 {
		c.MaxPending = 64 << 20
	}
	if c.MaxPending < 0 {
		return fmt.Errorf("invalid max_pending_bytes: %d (bytes, more than 0)", c.MaxPending)
	}
	if sz := strings.TrimSpace(c.RotateSize); sz != "" {
		num, unit := sz, int64(1)
		for _, u := range []struct {
			s string
			n int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
			if v, ok := strings.CutSuffix(sz, u.s); ok {
				num, unit = strings.TrimSpace(v), u.n
				break
			}
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64/unit || n*unit < 64<<10 {
			return fmt.Errorf("invalid rotate_size: %q (at least 64KiB, with a unit: KiB, MiB, GiB, or KB, MB, GB; e.g. \"100MiB\")", c.RotateSize)
		}
		c.RotateBytes = n * unit
	}
	if c.RotateAge != "" {
		d, err := time.ParseDuration(c.RotateAge)
		if err != nil || d < time.Minute {
			return fmt.Errorf("invalid rotate_age: %q (a duration of at least 1m, e.g. \"24h\")", c.RotateAge)
		}
		c.RotateEvery = d
	}
	switch {
	case c.RotateKeep != 0 && c.RotateBytes == 0 && c.RotateEvery == 0:
		return fmt.Errorf("rotate_keep = %d needs rotate_size or rotate_age (precd rotates only when one is set)", c.RotateKeep)
	case c.RotateKeep == 0:
		c.RotateKeep = 5
	case c.RotateKeep < 1 || c.RotateKeep > 1000:
		return fmt.Errorf("invalid rotate_keep: %d (files kept besides the current one, 1..1000)", c.RotateKeep)
	}
	rules, err := compileRules(c)
	if err != nil {
		return err
	}
	c.Rules = rules
	if c.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("hostname: %w (set hostname in the configuration)", err)
		}
		c.Hostname = sanitizeHostname(h)
	}
	if !validHostname(c.Hostname) {
		return fmt.Errorf("invalid hostname: %q (1 to 255 printable ASCII characters, no spaces)", c.Hostname)
	}
	texts := redact.Defaults()
	if c.Redact != nil {
		texts = *c.Redact
	}
	set, err := redact.Compile(texts)
	if err != nil {
		return err
	}
	c.Redactor = set
	return nil
}

// LogPath returns the log path configured in the file at path (the default when the file is missing),
// for prec.
func LogPath(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return DefaultLogPath, nil
	}
	c, err := load(path, false) // prec only reads the path; the daemon is what must not be misled
	if err != nil {
		return "", err
	}
	return c.LogPath, nil
}
