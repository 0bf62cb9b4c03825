package recorder

import (
	"fmt"
	"strings"
	"testing"
)

// TestRedaction: secrets are hidden in argv, argv_raw, fail records and parent_cmdline before the
// limits cut the arguments, the records say where, and redact = [] keeps everything.
func TestRedaction(t *testing.T) {
	parent := func(k uint64) ev { return mkFork(k, 101, boot0+101, 102, boot0+102) }
	childOf101 := func(k uint64) execSpec {
		s := kid(102, k, "id")
		s.ppid, s.pstart, s.pcomm = 101, boot0+101, "mysql"
		return s
	}
	childStart := func(id int, k uint64, exe, cmdline string) fields {
		return kidStart(id, 102, k, "id").with(fields{"ppid": 101, "parent_exe": exe, "parent_cmdline": cmdline,
			"parent_key": fmt.Sprintf("101@%d", boot0+101), "parent_comm": "mysql", "source": "system"})
	}
	// the login shell is not in the table: the commands it runs have no parent_exe
	orphan := fields{"parent_exe": nil, "parent_cmdline": nil}
	for _, c := range []struct {
		name string
		conf string
		evs  []ev
		want []fields
	}{
		{"a secret in argv, and in the parent_cmdline of a child", "", []ev{
			mkExec(kid(101, t0, "mysql", "-u", "root", "-pS3cret", "db")), parent(t0 + ms), mkExec(childOf101(t0 + 2*ms))}, []fields{
			kidStart(1, 101, t0, "mysql", "-u", "root", "-p****", "db").with(orphan).with(fields{"argv_redacted": true, "argv_redacted_idx": []int{3}}),
			childStart(2, t0+2*ms, "/usr/bin/mysql", "mysql -u root -p**** db").with(fields{"parent_cmdline_redacted": true}),
		}},
		{"parent_cmdline cut before its redacted argument: not flagged", "", []ev{
			mkExec(kid(101, t0, "tool", strings.Repeat("x", 600), "--password=S3cret")), parent(t0 + ms), mkExec(childOf101(t0 + 2*ms))}, []fields{
			kidStart(1, 101, t0, "tool", strings.Repeat("x", 600), "--password=****").with(orphan).with(fields{"argv_redacted": true, "argv_redacted_idx": []int{2}}),
			childStart(2, t0+2*ms, "/usr/bin/tool", "tool "+strings.Repeat("x", 507)),
		}},
		{"argv_raw: invalid UTF-8 beside a secret, and in it", "", []ev{
			mkExec(kid(101, t0, "tool", "\xff\xfe", "--token=T0k\xe9n", "x"))}, []fields{
			kidStart(1, 101, t0, "tool", "\ufffd\ufffd", "--token=****", "x").with(orphan).with(fields{"argv_redacted": true, "argv_redacted_idx": []int{2},
				"argv_raw": []string{"dG9vbA==", "//4=", "LS10b2tlbj0qKioq", "eA=="}}),
		}},
		{"redaction before max_arg_length and max_args", "max_arg_length = 12\nmax_args = 3\n", []ev{
			mkExec(kid(101, t0, "tool", "--password=S3cretS3cret", "x", "--token=T0k"))}, []fields{
			kidStart(1, 101, t0, "tool", "--password=*", "x").with(orphan).with(fields{"argc": 4, "argv_truncated": true,
				"argv_redacted": true, "argv_redacted_idx": []int{1}}),
		}},
		{"a fail record, in scope by the path given to execve", "", []ev{
			mkExec(func() execSpec {
				s := kid(101, t0, "client", "-pS3cret", "db")
				s.fail, s.exe, s.filename, s.ret = true, "", "/opt/bin/mariadb", -13
				return s
			}())}, []fields{
			kidStart(0, 101, t0, "client", "-p****", "db").with(orphan).with(fields{"event_id": nil, "record_type": "fail", "exe": "/opt/bin/mariadb",
				"filename": nil, "exec_errno": 13, "exec_error": "permission denied", "syscall": "execve",
				"argv_redacted": true, "argv_redacted_idx": []int{1}}),
		}},
		{"a secret out of scope is kept: -p of a program other than mysql", "", []ev{
			mkExec(kid(101, t0, "client", "-pS3cret"))}, []fields{
			kidStart(1, 101, t0, "client", "-pS3cret").with(orphan),
		}},
		{"redact = [] keeps every byte", "redact = []\n", []ev{
			mkExec(kid(101, t0, "mysql", "-pS3cret", "--token=T0k\xe9n")), parent(t0 + ms), mkExec(childOf101(t0 + 2*ms))}, []fields{
			kidStart(1, 101, t0, "mysql", "-pS3cret", "--token=T0k\ufffdn").with(orphan).with(fields{
				"argv_raw": []string{"bXlzcWw=", "LXBTM2NyZXQ=", "LS10b2tlbj1UMGvpbg=="}}),
			childStart(2, t0+2*ms, "/usr/bin/mysql", "mysql -pS3cret --token=T0k\ufffdn"),
		}},
		{"own rules replace the defaults", "redact = ['^--pin=(.+)$']\n", []ev{
			mkExec(kid(101, t0, "tool", "--pin=1234", "--password=S3cret"))}, []fields{
			kidStart(1, 101, t0, "tool", "--pin=****", "--password=S3cret").with(orphan).with(fields{"argv_redacted": true, "argv_redacted_idx": []int{1}}),
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, out := newTest(t, c.conf)
			feed(t, r, c.evs)
			check(t, out, c.want)
		})
	}
}

// TestRunningRedacted: the cmdline of a process found in /proc is redacted with its exe before its
// children name it, and redact = [] keeps it.
func TestRunningRedacted(t *testing.T) {
	for _, c := range []struct {
		conf, want string
		redacted   bool
	}{{"", "env PGPASSWORD=**** psql -h db", true}, {"redact = []\n", "env PGPASSWORD=S3cret psql -h db", false}} {
		r, out := newTest(t, c.conf)
		r.Running(shell, shellSt/tickNs, "/usr/bin/env", []string{"env", "PGPASSWORD=S3cret", "psql", "-h", "db"})
		s := kid(101, t0, "ls")
		s.pstart = shellSt + 3
		feed(t, r, []ev{mkExec(s)})
		want := kidStart(1, 101, t0, "ls").with(fields{"parent_exe": "/usr/bin/env", "parent_cmdline": c.want,
			"parent_key": fmt.Sprintf("100@%d", shellSt+3)})
		if c.redacted {
			want["parent_cmdline_redacted"] = true
		}
		check(t, out, []fields{want})
		if strings.Contains(out.buf.String(), "S3cret") == c.redacted {
			t.Errorf("%q: the log holds the secret: %v", c.conf, !c.redacted)
		}
	}
}
