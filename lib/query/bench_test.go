package query

import "testing"

const benchLine = `{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"20261122133327-4","uid":0,"gid":0,"auid":4294967295,"session_id":4294967295,"user":"root","group":"root","pid":22808,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/w/w-inter","argv":["/usr/bin/ls","-la","/tmp/w/w-inter"],"argc":3,"cgroup":"/system.slice/agent/9df7b2067ca196d37dbc54ce8c3724a8","tty":"/dev/pts/0","tty_nr":34816,"source":"user","record_type":"command","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"bash --norc --noprofile -i","parent_tty":"/dev/pts/0","parent_tty_nr":34816,"end_timestamp":"2026-11-22T13:33:29.5Z","exit_status":0,"duration_ns":1014714316}`

func BenchmarkMatch(b *testing.B) {
	for _, c := range []struct{ name, query string }{
		{"uid", "uid>=1000"},
		{"timestamp", "timestamp>=2026-11-22T13:33:00Z"},
		{"command", "command~=ls"},
		{"euid_duration", "euid=0 && duration>=1s"},
	} {
		b.Run(c.name, func(b *testing.B) {
			q, err := Compile(c.query)
			if err != nil {
				b.Fatal(err)
			}
			line := []byte(benchLine)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := q.Match(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
