/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* The one definition of what the kernel side sends to precd. bpf2go generates the Go twins of these
 * types from the object's BTF (lib/bpfexec/gen.go), so nothing here is written twice. Types that Go
 * must see are used by a program (a C enum reaches BTF only when a field or variable uses it).
 * What the fields hold and where the kernel side reads them: docs/kernel.md. */
#ifndef PREC_H
#define PREC_H

enum prec_event_type {
	PREC_EV_EXEC = 1,      /* sched_process_exec: a new image started */
	PREC_EV_EXIT = 2,      /* sched_process_exit of a process's last thread */
	PREC_EV_EXEC_FAIL = 3, /* execve/execveat returned an error */
	PREC_EV_FORK = 4,      /* a new process (not a thread): links it to its parent before any exec */
};

enum prec_flag {
	PREC_F_ARGS_TRUNC = 1 << 0,     /* argv did not fit: args_len < real length */
	PREC_F_FILENAME_TRUNC = 1 << 1, /* filename cut */
	PREC_F_EXE_TRUNC = 1 << 2,      /* exe path: too deep or too long, leading components dropped */
	PREC_F_CWD_TRUNC = 1 << 3,      /* cwd path: same */
	PREC_F_CGROUP_TRUNC = 1 << 4,   /* cgroup path: same */
	PREC_F_THREAD_EXEC = 1 << 5,    /* exec called by a thread other than the leader (old_pid != tgid) */
	PREC_F_EXECVEAT = 1 << 6,       /* the failed call was execveat */
	PREC_F_PONR = 1 << 7,           /* exec failed after the point of no return: the process dies */
	PREC_F_ARGS_FAULT = 1 << 8,     /* argv could not be read from user memory */
	PREC_F_HAS_TTY = 1 << 9,        /* the process has a controlling terminal */
	PREC_F_PARENT_HAS_TTY = 1 << 10,
	PREC_F_CGROUP_V1 = 1 << 12,     /* cgroup path is a v1 controller's (the v2 one was the root) */
	PREC_F_COMPAT = 1 << 13,        /* failed exec: a 32-bit (ia32) syscall */
};

/* Counters indexed by event type, summed over CPUs by userspace: for every type,
 * sent + dropped = events the kernel tried to send. */
enum prec_counter {
	PREC_CNT_EXEC = 0,
	PREC_CNT_EXIT = 1,
	PREC_CNT_EXEC_FAIL = 2,
	PREC_CNT_FORK = 3,
	PREC_CNT_NR = 4,
};

/* Header of exec and failed-exec events; the payload follows it, pieces back to back, in this order:
 * filename | interp | exe | cwd | cgroup | args (argv strings, each NUL-terminated).
 * Largest fields first, so the struct has no hidden padding (asserted below). */
struct prec_exec {
	enum prec_event_type type;  /* first in every event: userspace dispatches on it */
	enum prec_flag flags;       /* a set of PREC_F_*: typed, so Go gets the enum type */
	__u64 ktime_ns;             /* bpf_ktime_get_ns() at the event (CLOCK_MONOTONIC) */
	__u64 start_boot_ns;        /* task start, boot-time clock: (tgid, start_boot_ns) names a process */
	__u64 parent_start_boot_ns;
	__u64 cgroup_id;            /* cgroup v2 id (what bpf_get_current_cgroup_id returns) */
	__u32 pid;                  /* tid that called exec (old_pid at sched_process_exec) */
	__u32 tgid;
	__u32 ppid;                 /* real_parent's tgid at exec time */
	__u32 uid, gid, euid, egid;
	__u32 loginuid, sessionid;  /* (u32)-1 when unset or the kernel has no audit */
	__u32 tty_major, tty_minor; /* controlling terminal; 0:0 = none */
	__u32 parent_tty_major, parent_tty_minor;
	__s32 argc;                 /* real argument count (bprm->argc), or counted for failed execs */
	__s32 ret;                  /* failed exec: the negative errno */
	__u32 syscall_nr;           /* failed exec: the syscall number */
	__u32 args_len;             /* bytes of args in the payload */
	__u16 filename_len, interp_len, exe_len, cwd_len, cgroup_len, _pad[5];
	char comm[16];
	char parent_comm[16];
	char tty_name[32];          /* tty->name, e.g. "pts0", "ttyS0" */
	char parent_tty_name[32];
};

/* Exit of a process's last thread. */
struct prec_exit {
	enum prec_event_type type;
	enum prec_flag flags; /* none defined yet */
	__u64 ktime_ns;
	__u64 start_boot_ns; /* the group leader's: matches the exec event's */
	__u32 tgid;
	__u32 status; /* wait(2) status: exit code << 8, or the signal number (| 0x80 for a core dump) */
	char comm[16];
};

/* A new process. precd's process table gives it its parent's image (exe, command line) until it
 * execs: the parent of a command run by a subshell is then still named right. */
struct prec_fork {
	enum prec_event_type type;
	enum prec_flag flags; /* none defined yet */
	__u64 ktime_ns;
	__u64 parent_start_boot_ns;
	__u64 child_start_boot_ns;
	__u32 parent_tgid;
	__u32 child_tgid;
};

/* The layout claims above, checked by the compiler. Both sides find the payload at
 * sizeof(struct prec_exec), and without padding no byte of a header is left unwritten. */
#define PREC_END(s, f) (__builtin_offsetof(struct s, f) + sizeof(((struct s *)0)->f))
_Static_assert(__builtin_offsetof(struct prec_exec, type) == 0 &&
		       __builtin_offsetof(struct prec_exit, type) == 0 &&
		       __builtin_offsetof(struct prec_fork, type) == 0,
	       "the event type is the first field of every event");
_Static_assert(sizeof(enum prec_event_type) == 4 && sizeof(enum prec_flag) == 4, "enums are 32 bits");
_Static_assert(__builtin_offsetof(struct prec_exec, ktime_ns) == 8 &&
		       __builtin_offsetof(struct prec_exec, pid) == PREC_END(prec_exec, cgroup_id) &&
		       __builtin_offsetof(struct prec_exec, filename_len) == PREC_END(prec_exec, args_len) &&
		       __builtin_offsetof(struct prec_exec, comm) == PREC_END(prec_exec, _pad) &&
		       sizeof(struct prec_exec) == PREC_END(prec_exec, parent_tty_name),
	       "struct prec_exec has no padding: the payload starts right after parent_tty_name");
_Static_assert(sizeof(struct prec_exec) == 224, "struct prec_exec is 224 bytes, a multiple of 8");
_Static_assert(__builtin_offsetof(struct prec_exit, ktime_ns) == 8 &&
		       sizeof(struct prec_exit) == PREC_END(prec_exit, comm) && sizeof(struct prec_exit) == 48,
	       "struct prec_exit is 48 bytes, no padding");
_Static_assert(__builtin_offsetof(struct prec_fork, ktime_ns) == 8 &&
		       sizeof(struct prec_fork) == PREC_END(prec_fork, child_tgid) && sizeof(struct prec_fork) == 40,
	       "struct prec_fork is 40 bytes, no padding");
#undef PREC_END

#endif /* PREC_H */
