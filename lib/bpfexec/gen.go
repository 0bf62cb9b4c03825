package bpfexec

// The generated files (exec_x86_bpfel.go/.o, names_x86_bpfel.go) are committed: go build needs no
// clang. Regenerate with `make generate`, which installs the pinned toolchain first.
//go:generate go tool bpf2go -tags linux -target amd64 -type prec_exec -type prec_exit -type prec_fork -type prec_event_type -type prec_flag -type prec_counter exec ../../bpf/exec.bpf.c -- -I../../bpf -I../../bpf/include -Wall -Werror
//go:generate go run ./internal/gennames -o names_x86_bpfel.go exec_x86_bpfel.go
