package redact

import (
	"strings"
	"testing"
)

// buildCommand is a 20-argument compiler line, the commonest exec of a build host.
var buildCommand = []string{"/usr/bin/cc", "-DHAVE_CONFIG_H", "-I.", "-I../include", "-I/usr/include/glib-2.0",
	"-I/usr/lib/x86_64-linux-gnu/glib-2.0/include", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-g",
	"-pthread", "-fPIC", "-MT", "src/libfoo_la-parser.lo", "-MD", "-MP", "-MF", "src/.deps/libfoo_la-parser.Tpo",
	"-c", "src/parser.c"}

var benchCommands = []struct {
	name string
	argv []string
}{
	{"ls", []string{"ls", "-la", "/tmp"}},
	{"git-status", []string{"git", "status"}},
	{"gcc", []string{"gcc", "-O2", "-c", "x.c", "-o", "x.o"}},
	{"build20", buildCommand},
	{"git-clone-url", []string{"git", "clone", "https://github.com/prec-dev/prec.git"}},
	{"secret-mysql", []string{"mysql", "-u", "root", "-pS3cret", "db"}},
	{"secret-curl", []string{"curl", "-sS", "-H", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "https://api.example.com/v1/x"}},
	{"secret-env", []string{"env", "PGPASSWORD=S3cret", "psql", "-h", "db", "-U", "app"}},
}

// BenchmarkApply reports ns per exec with the default rules and with none, in the same run, and
// "touch": one pass adding up the bytes of the arguments, the least any look at them costs, to
// calibrate the machine. cpu-ns/op is the thread's CPU time, which a loaded machine does not
// inflate as it does the wall time:
//
//	go test ./lib/redact -run '^$' -bench Apply -benchmem
func BenchmarkApply(b *testing.B) {
	sets := []struct {
		name string
		set  *Set
	}{{"none", MustCompile(nil)}, {"default", defaultSet}}
	for _, c := range benchCommands {
		argv := toBytes(c.argv)
		exe := "/usr/bin/" + c.argv[0]
		n := len(strings.Join(c.argv, " "))
		for _, s := range sets {
			b.Run(c.name+"/"+s.name, func(b *testing.B) {
				defer lockThread()()
				t0 := threadCPU()
				for b.Loop() {
					s.set.Apply(exe, argv)
				}
				b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(n), "bytes/exec")
			})
		}
		b.Run(c.name+"/touch", func(b *testing.B) {
			defer lockThread()()
			t0 := threadCPU()
			var sum byte
			for b.Loop() {
				for _, a := range argv {
					for _, x := range a {
						sum += lower[x]
					}
				}
			}
			b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "cpu-ns/op")
			sink = sum
		})
	}
}

var sink byte

func BenchmarkCompileDefaults(b *testing.B) {
	for b.Loop() {
		MustCompile(defaults)
	}
}
