package e2e

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// memfdExec copies /bin/echo into a memfd and runs it with execveat(fd, "", AT_EMPTY_PATH), as
// fexecve does: a program with no path on any file system.
func memfdExec() (int, error) {
	fd, err := unix.MemfdCreate("prec-memfd-marker", 0)
	if err != nil {
		return -1, err
	}
	src, err := os.Open("/bin/echo")
	if err != nil {
		return fd, err
	}
	if _, err := io.Copy(os.NewFile(uintptr(fd), "memfd"), src); err != nil {
		return fd, err
	}
	argv, _ := syscall.SlicePtrFromStrings([]string{"echo", "memfd-exec-marker"})
	envv, _ := syscall.SlicePtrFromStrings(os.Environ())
	empty, _ := syscall.BytePtrFromString("")
	_, _, errno := syscall.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return fd, errno
}
