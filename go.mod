module github.com/prec-dev/prec

go 1.26.8

require (
	github.com/cilium/ebpf v0.22.0
	github.com/itchyny/gojq v0.12.20
	github.com/jessevdk/go-flags v1.6.1
	golang.org/x/sys v0.43.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
)

tool github.com/cilium/ebpf/cmd/bpf2go
