/* Kernel types for CO-RE, dumped from a kernel's BTF by `make vmlinux` (bpftool btf dump ... format c).
 * One header per architecture; CO-RE relocates field offsets at load time, so one recent kernel's
 * header serves every kernel >= 5.8. */
#if defined(__TARGET_ARCH_x86)
#include "vmlinux_x86.h"
#else
#error "no vmlinux header for this architecture: dump one with 'make vmlinux' on a machine of that architecture"
#endif
