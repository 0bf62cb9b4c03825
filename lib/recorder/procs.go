package recorder

import (
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// proc is what the recorder knows of a live process: its current image, and the start record written for
// it, if any.
type proc struct {
	pid        uint32
	startBoot  uint64 // ns since boot; from /proc only to clock-tick precision (approx)
	approx     bool
	exe        string
	cmdline    string // argv joined by spaces, for children's parent_cmdline
	hidden     int    // redaction hid something in cmdline: 1 + where the first argument it changed starts
	eventID    string // the open start record of the current image, "" when none was written
	startKtime uint64
	source     string
}

const tickNs = 1e7 // USER_HZ is 100 on every Linux architecture precd runs on

func (p *proc) is(startBoot uint64) bool {
	if p.approx {
		return p.startBoot/tickNs == startBoot/tickNs
	}
	return p.startBoot == startBoot
}

// Names looks up account names by id; "" when there is none.
type Names interface {
	User(uid uint32) string
	Group(gid uint32) string
}

// SystemNames looks names up with os/user (/etc/passwd, /etc/group, or NSS with cgo).
type SystemNames struct{}

// User returns the name of uid, or "".
func (SystemNames) User(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return u.Username
	}
	return ""
}

// Group returns the name of gid, or "".
func (SystemNames) Group(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		return g.Name
	}
	return ""
}

// names caches user and group names by id for a minute, so that renamed accounts show up.
type names struct {
	look          Names
	users, groups map[uint32]cached
}

type cached struct {
	name string
	at   time.Time
}

const nameTTL = time.Minute

func newNames(look Names) *names {
	return &names{look: look, users: map[uint32]cached{}, groups: map[uint32]cached{}}
}

func (n *names) user(uid uint32, now time.Time) string {
	if c, ok := n.users[uid]; ok && now.Sub(c.at) < nameTTL {
		return c.name
	}
	name := n.look.User(uid)
	n.users[uid] = cached{name, now}
	return name
}

func (n *names) group(gid uint32, now time.Time) string {
	if c, ok := n.groups[gid]; ok && now.Sub(c.at) < nameTTL {
		return c.name
	}
	name := n.look.Group(gid)
	n.groups[gid] = cached{name, now}
	return name
}

var shells = map[string]bool{"bash": true, "zsh": true, "sh": true, "dash": true, "ksh": true, "fish": true, "csh": true, "tcsh": true}

// isShell: the reference's rule, by the lower-cased base name of the parent's comm or exe.
func isShell(comm, exe string) bool {
	return shells[strings.ToLower(comm)] || exe != "" && shells[strings.ToLower(filepath.Base(exe))]
}

// source is the reference's rule, on the kernel's view: "user" when the parent is a shell, and the
// process or its parent has a controlling terminal.
func source(ppid uint32, tty, parentTTY bool, parentComm, parentExe string) string {
	if ppid > 1 && (tty || parentTTY) && isShell(parentComm, parentExe) {
		return "user"
	}
	return "system"
}

// ttyName names a terminal from its device number, as /dev shows it.
func ttyName(major, minor uint32, kname string) string {
	switch {
	case major == 0 && minor == 0:
		return ""
	case major >= 136 && major <= 143:
		return "/dev/pts/" + strconv.FormatUint(uint64((major-136)*256+minor), 10)
	case major == 5 && minor == 1:
		return "/dev/console"
	case kname != "":
		return "/dev/" + kname
	}
	return ""
}

// ttyNr encodes a device number as /proc/PID/stat's tty_nr does (new_encode_dev).
func ttyNr(major, minor uint32) uint32 {
	return minor&0xff | major<<8 | (minor&^0xff)<<12
}
