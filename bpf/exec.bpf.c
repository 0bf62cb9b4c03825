// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/* precd's kernel side: every exec, failed exec and process exit, with its context read in the kernel
 * at event time. Layout of what is sent: prec.h. Why it is written this way (verifier constraints,
 * attach modes, where each field comes from, batching and loss counters): docs/kernel.md. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "prec.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define PAYLOAD_LIMIT 32768 /* every piece starts below this offset (masked with LIMIT-1) */
#define PIECE_MAX 16384     /* the largest piece: argv */
#define PATH_CAP 4096       /* a path is built backwards in pathbuf.buf[0..PATH_CAP) */
#define PATH_DEPTH 64       /* components walked, mount crossings included */
#define NAME_MAX_ 255
#define CGROUP_DEPTH 16
#define CGROUP_CAP 1024
#define FAIL_ARGS_MAX 128   /* argv strings read for a failed exec */
#define SIGNAL_GROUP_EXIT 0x4

/* Load-time knobs, set from Go before loading (lib/bpfexec: Open). */
const volatile __u32 cfg_args_max = PIECE_MAX; /* bytes of argv copied, <= PIECE_MAX */
const volatile bool cfg_batch_wakeup = true;
/* Wake the reader once this much is pending. Go derives it from the ring size (wakeupBytes); the 0
 * here, if it were ever left, would mean a wake-up per event: slow, but nothing waits for a poll. */
const volatile __u64 cfg_wakeup_bytes = 0;

_Static_assert((PAYLOAD_LIMIT & (PAYLOAD_LIMIT - 1)) == 0 && (PIECE_MAX & (PIECE_MAX - 1)) == 0 &&
		       (PATH_CAP & (PATH_CAP - 1)) == 0 && (CGROUP_DEPTH & (CGROUP_DEPTH - 1)) == 0,
	       "sizes used as masks are powers of two");
_Static_assert(NAME_MAX_ == 255 && 2 * PATH_CAP <= 2 * PIECE_MAX && PATH_CAP <= PIECE_MAX,
	       "NAME_MAX_ is a mask, and a path is a piece like any other");

/* Put the types no map or field uses in BTF, so bpf2go generates their Go twins. */
const struct prec_exit *_prec_exit_unused __attribute__((unused));
const struct prec_fork *_prec_fork_unused __attribute__((unused));
const enum prec_counter *_prec_counter_unused __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized from Go */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PREC_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} sent SEC(".maps"), drops SEC(".maps");

/* Exec records are assembled here and copied to the ring with their used length only. One slot per CPU;
 * tracepoint programs run with preemption off, so a slot is never shared by two running programs.
 * A plain array (max_entries set to the possible CPUs from Go) because per-CPU values stop at 32 KiB. */
struct scratch {
	__u32 off; /* payload cursor; kept in the map so loops verify as one state (docs/kernel.md) */
	__u32 _pad;
	struct prec_exec ev; /* sent with the payload right behind it */
	/* Reads are masked to 2*PIECE_MAX-1 bytes at an offset masked to PAYLOAD_LIMIT-1: the mask, not
	 * the clamp before it (which clang may drop, docs/kernel.md), is what the verifier checks. */
	__u8 data[PAYLOAD_LIMIT + 2 * PIECE_MAX];
};
_Static_assert(__builtin_offsetof(struct scratch, data) ==
		       __builtin_offsetof(struct scratch, ev) + sizeof(struct prec_exec),
	       "the payload is right behind the header: one ringbuf_output sends both");
_Static_assert(sizeof(struct scratch) - __builtin_offsetof(struct scratch, ev) >=
		       sizeof(struct prec_exec) + PAYLOAD_LIMIT + PIECE_MAX,
	       "the largest event submit() sends lies inside the scratch value");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs from Go */
	__type(key, __u32);
	__type(value, struct scratch);
} scratches SEC(".maps");

struct pathbuf {
	__u32 pos; /* start of the path built so far; reloaded every step for the same reason as off */
	__u32 trunc;
	char buf[PATH_CAP + NAME_MAX_ + 1];
};
_Static_assert(sizeof(((struct pathbuf *)0)->buf) >= PATH_CAP + NAME_MAX_,
	       "a name masked to NAME_MAX_ at a position masked to PATH_CAP-1 stays inside buf");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* possible CPUs */
	__type(key, __u32);
	__type(value, struct pathbuf);
} pathbufs SEC(".maps");

/* An execve in flight, by tid: what the syscall was given, for a report if it fails. */
struct pending {
	__u64 filename; /* user pointers */
	__u64 argv;
	__u64 mm;       /* current->mm at entry: a different mm at exit means past the point of no return */
	__u32 nr;
	__u32 flags;
	char fname[256]; /* entry copy: the page may be gone (or not yet faulted in) at exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* LRU: a thread killed mid-exec leaves no stale entry forever */
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} pending_init SEC(".maps");

struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline void count(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);
	if (v)
		*v += 1;
}

static __always_inline __u64 rb_flags(void)
{
	if (!cfg_batch_wakeup)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										  : BPF_RB_NO_WAKEUP;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratches, &cpu);
}

static __always_inline struct pathbuf *get_pathbuf(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&pathbufs, &cpu);
}

/* Prepends "/name" to the path in pb. Returns nonzero when it no longer fits. */
static __always_inline int path_push(struct pathbuf *pb, const unsigned char *name, __u32 len)
{
	__u32 pos = pb->pos;

	if (len > NAME_MAX_)
		len = NAME_MAX_;
	if (len + 1 > pos)
		return 1;
	pos -= len + 1;
	pos &= PATH_CAP - 1;
	pb->buf[pos] = '/';
	barrier_var(len);
	bpf_probe_read_kernel(&pb->buf[(pos + 1) & (PATH_CAP - 1)], len & NAME_MAX_, name);
	pb->pos = pos;
	return 0;
}

static __always_inline int push_dentry(struct pathbuf *pb, struct dentry *d)
{
	struct qstr q = BPF_CORE_READ(d, d_name);
	return path_push(pb, q.name, q.len);
}

/* Builds the path of (mnt, dentry) up to the root of the mount namespace, as /proc/PID/exe shows it
 * from the host: d_path is not callable from tracepoints, so the dentries and mounts are walked. */
static __always_inline void path_walk(struct pathbuf *pb, struct vfsmount *vm, struct dentry *d)
{
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (void *)vm - mnt_off;
	int done = 0;

	pb->pos = PATH_CAP;
	pb->trunc = 0;
	if (!d || !vm)
		return;
	for (int i = 0; i < PATH_DEPTH; i++) {
		struct dentry *root = BPF_CORE_READ(vm, mnt_root);
		struct dentry *parent = BPF_CORE_READ(d, d_parent);

		if (d == root || d == parent) {
			if (d != root) { /* its own parent but no mount root: memfd, pipe, anon inode */
				if (push_dentry(pb, d))
					pb->trunc = 1;
				done = 1;
				break;
			}
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);
			if (m == mp || !mp) { /* the namespace's root mount */
				done = 1;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vm = (void *)m + mnt_off;
			continue;
		}
		if (push_dentry(pb, d)) {
			pb->trunc = 1;
			done = 1;
			break;
		}
		d = parent;
	}
	if (!done)
		pb->trunc = 1;
}

/* Appends the path in pb to the payload; returns its length. */
static __always_inline __u16 put_path(struct scratch *sc, struct pathbuf *pb)
{
	__u32 off = sc->off;
	__u32 pos = pb->pos;
	__u32 len;

	if (pos >= PATH_CAP) { /* nothing pushed: the root itself */
		pos = PATH_CAP - 1;
		pb->buf[pos & (PATH_CAP - 1)] = '/';
	}
	len = PATH_CAP - pos;
	if (len > PATH_CAP)
		len = PATH_CAP;
	if (off >= PAYLOAD_LIMIT)
		return 0;
	barrier_var(len);
	bpf_probe_read_kernel(&sc->data[off & (PAYLOAD_LIMIT - 1)], len & (2 * PATH_CAP - 1),
			      &pb->buf[pos & (PATH_CAP - 1)]);
	sc->off = off + len;
	return len;
}

/* Appends a NUL-terminated kernel string; returns its length without the NUL. */
static __always_inline __u16 put_kstr(struct scratch *sc, const char *s, __u32 max, __u32 *trunc)
{
	__u32 off = sc->off;
	long n;

	if (!s || off >= PAYLOAD_LIMIT)
		return 0;
	n = bpf_probe_read_kernel_str(&sc->data[off & (PAYLOAD_LIMIT - 1)], max, s);
	if (n <= 0)
		return 0;
	n -= 1; /* the NUL stays in the buffer but is not counted */
	if (n + 1 >= max)
		*trunc = 1;
	sc->off = off + n;
	return n;
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* Appends the cgroup path whose leaf is kn ("/" for the root); returns its length. */
static __always_inline __u16 put_cgroup(struct scratch *sc, struct kernfs_node *kn, __u32 *trunc)
{
	struct kernfs_node *chain[CGROUP_DEPTH];
	int depth = 0;
	__u32 start = sc->off;

	for (int i = 0; i < CGROUP_DEPTH; i++) {
		struct kernfs_node *p = kn ? kn_parent(kn) : 0;
		if (!p)
			break;
		chain[i] = kn;
		depth = i + 1;
		kn = p;
	}
	if (kn && kn_parent(kn))
		*trunc = 1;
	if (depth == 0) {
		__u32 off = sc->off;
		if (off < PAYLOAD_LIMIT) {
			sc->data[off & (PAYLOAD_LIMIT - 1)] = '/';
			sc->off = off + 1;
		}
		return sc->off - start;
	}
	for (int i = CGROUP_DEPTH - 1; i >= 0; i--) {
		if (i >= depth)
			continue;
		__u32 off = sc->off;
		if (off >= PAYLOAD_LIMIT || off - start >= CGROUP_CAP - 1) {
			*trunc = 1;
			break;
		}
		sc->data[off & (PAYLOAD_LIMIT - 1)] = '/';
		sc->off = off + 1;
		const char *name = BPF_CORE_READ(chain[i & (CGROUP_DEPTH - 1)], name);
		put_kstr(sc, name, 256, trunc);
	}
	return sc->off - start;
}

static __always_inline void read_tty(struct tty_struct *tty, __u32 *major, __u32 *minor, char *name)
{
	if (!tty)
		return;
	int index = BPF_CORE_READ(tty, index);
	struct tty_driver *drv = BPF_CORE_READ(tty, driver);
	*major = BPF_CORE_READ(drv, major);
	*minor = BPF_CORE_READ(drv, minor_start) + index;
	bpf_probe_read_kernel_str(name, 32, BPF_CORE_READ(tty, name));
}

/* Fills what every exec-type event says of the task: ids, terminal, parent, cgroup. */
static __always_inline void fill_task(struct scratch *sc, struct task_struct *t)
{
	struct prec_exec *e = &sc->ev;
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);

	e->ktime_ns = bpf_ktime_get_ns();
	e->tgid = BPF_CORE_READ(t, tgid);
	e->uid = BPF_CORE_READ(cred, uid.val);
	e->gid = BPF_CORE_READ(cred, gid.val);
	e->euid = BPF_CORE_READ(cred, euid.val);
	e->egid = BPF_CORE_READ(cred, egid.val);
	e->loginuid = (__u32)-1;
	e->sessionid = (__u32)-1;
	if (bpf_core_field_exists(t->loginuid)) {
		e->loginuid = BPF_CORE_READ(t, loginuid.val);
		e->sessionid = BPF_CORE_READ(t, sessionid);
	}
	e->start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	e->tty_major = e->tty_minor = 0;
	e->tty_name[0] = 0;
	read_tty(BPF_CORE_READ(t, signal, tty), &e->tty_major, &e->tty_minor, e->tty_name);
	if (e->tty_major || e->tty_minor)
		e->flags |= PREC_F_HAS_TTY;

	e->ppid = BPF_CORE_READ(parent, tgid);
	e->parent_start_boot_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&e->parent_comm, parent, comm);
	e->parent_tty_major = e->parent_tty_minor = 0;
	e->parent_tty_name[0] = 0;
	read_tty(BPF_CORE_READ(parent, signal, tty), &e->parent_tty_major, &e->parent_tty_minor,
		 e->parent_tty_name);
	if (e->parent_tty_major || e->parent_tty_minor)
		e->flags |= PREC_F_PARENT_HAS_TTY;

	e->cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void put_task_cgroup(struct scratch *sc, struct task_struct *t)
{
	struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
	__u32 trunc = 0;

	/* On hybrid and v1 hosts the v2 hierarchy is often the bare root: then name the first v1
	 * controller whose cgroup is not its root, as /proc/PID/cgroup would. */
	if (!kn || !kn_parent(kn)) {
		int nsub = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
		for (int i = 0; i < 16; i++) {
			if (i >= nsub)
				break;
			struct cgroup_subsys_state *css = BPF_CORE_READ(t, cgroups, subsys[i]);
			struct kernfs_node *k = css ? BPF_CORE_READ(css, cgroup, kn) : 0;
			if (k && kn_parent(k)) {
				kn = k;
				sc->ev.flags |= PREC_F_CGROUP_V1;
				break;
			}
		}
	}
	sc->ev.cgroup_len = put_cgroup(sc, kn, &trunc);
	if (trunc)
		sc->ev.flags |= PREC_F_CGROUP_TRUNC;
}

static __always_inline void put_cwd(struct scratch *sc, struct pathbuf *pb, struct task_struct *t)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);

	path_walk(pb, BPF_CORE_READ(fs, pwd.mnt), BPF_CORE_READ(fs, pwd.dentry));
	sc->ev.cwd_len = put_path(sc, pb);
	if (pb->trunc)
		sc->ev.flags |= PREC_F_CWD_TRUNC;
}

static __always_inline void submit(struct scratch *sc, __u32 cnt)
{
	__u64 size = sizeof(struct prec_exec) + sc->off;

	if (size > sizeof(struct prec_exec) + PAYLOAD_LIMIT + PIECE_MAX)
		size = sizeof(struct prec_exec) + PAYLOAD_LIMIT + PIECE_MAX;
	if (bpf_ringbuf_output(&events, &sc->ev, size, rb_flags()))
		count(&drops, cnt);
	else
		count(&sent, cnt);
}

static __always_inline int on_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct scratch *sc = get_scratch();
	struct pathbuf *pb = get_pathbuf();
	__u32 trunc = 0, tid = old_pid;

	bpf_map_delete_elem(&pending, &tid); /* the execve succeeded; after a thread exec its tid is gone */
	if (!sc || !pb)
		return 0;
	__builtin_memset(&sc->ev, 0, sizeof(sc->ev));
	sc->off = 0;
	sc->ev.type = PREC_EV_EXEC;
	sc->ev.pid = old_pid;
	fill_task(sc, p);
	if ((__u32)old_pid != sc->ev.tgid)
		sc->ev.flags |= PREC_F_THREAD_EXEC;
	sc->ev.argc = BPF_CORE_READ(bprm, argc);

	const char *filename = BPF_CORE_READ(bprm, filename);
	const char *interp = BPF_CORE_READ(bprm, interp);
	sc->ev.filename_len = put_kstr(sc, filename, PATH_CAP, &trunc);
	if (interp && interp != filename)
		sc->ev.interp_len = put_kstr(sc, interp, PATH_CAP, &trunc);
	if (trunc)
		sc->ev.flags |= PREC_F_FILENAME_TRUNC;

	struct file *exe = BPF_CORE_READ(p, mm, exe_file);
	path_walk(pb, BPF_CORE_READ(exe, f_path.mnt), BPF_CORE_READ(exe, f_path.dentry));
	sc->ev.exe_len = put_path(sc, pb);
	if (pb->trunc)
		sc->ev.flags |= PREC_F_EXE_TRUNC;

	put_cwd(sc, pb, p);
	put_task_cgroup(sc, p);

	/* argv: one read of the pristine arg area of the new image. */
	__u64 start = BPF_CORE_READ(p, mm, arg_start);
	__u64 end = BPF_CORE_READ(p, mm, arg_end);
	__u64 n = end > start ? end - start : 0;
	__u32 max = cfg_args_max;
	__u32 off = sc->off;

	if (max > PIECE_MAX)
		max = PIECE_MAX;
	if (n > max) {
		n = max;
		sc->ev.flags |= PREC_F_ARGS_TRUNC;
	}
	if (off < PAYLOAD_LIMIT && n > 0) {
		barrier_var(n);
		if (bpf_probe_read_user(&sc->data[off & (PAYLOAD_LIMIT - 1)], n & (2 * PIECE_MAX - 1),
					(void *)start)) {
			sc->ev.flags |= PREC_F_ARGS_FAULT;
			n = 0;
		}
		sc->ev.args_len = n;
		sc->off = off + n;
	}
	submit(sc, PREC_CNT_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

static __always_inline int on_exit(struct task_struct *t)
{
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	struct prec_exit *x;

	/* live is already decremented for this thread: 0 means the last thread of the process. */
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0;
	x = bpf_ringbuf_reserve(&events, sizeof(*x), 0);
	if (!x) {
		count(&drops, PREC_CNT_EXIT);
		return 0;
	}
	x->type = PREC_EV_EXIT;
	x->flags = 0;
	x->ktime_ns = bpf_ktime_get_ns();
	x->tgid = BPF_CORE_READ(t, tgid);
	x->start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
		x->status = BPF_CORE_READ(sig, group_exit_code);
	else
		x->status = BPF_CORE_READ(t, group_leader, exit_code);
	BPF_CORE_READ_STR_INTO(&x->comm, t, comm);
	bpf_ringbuf_submit(x, rb_flags());
	count(&sent, PREC_CNT_EXIT);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *t)
{
	return on_exit(t);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *t)
{
	return on_exit(t);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct prec_fork *f;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread */
	f = bpf_ringbuf_reserve(&events, sizeof(*f), 0);
	if (!f) {
		count(&drops, PREC_CNT_FORK);
		return 0;
	}
	f->type = PREC_EV_FORK;
	f->flags = 0;
	f->ktime_ns = bpf_ktime_get_ns();
	f->parent_tgid = BPF_CORE_READ(parent, tgid);
	f->parent_start_boot_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	f->child_tgid = BPF_CORE_READ(child, tgid);
	f->child_start_boot_ns = BPF_CORE_READ(child, start_boottime);
	bpf_ringbuf_submit(f, rb_flags());
	count(&sent, PREC_CNT_FORK);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

static __always_inline int on_exec_enter(const char *filename, const char *const *argv, __u32 nr,
					 __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct pending *p = bpf_map_lookup_elem(&pending_init, &zero);

	if (!p)
		return 0;
	p->filename = (__u64)filename;
	p->argv = (__u64)argv;
	p->mm = (__u64)BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), mm);
	p->nr = nr;
	p->flags = flags;
	if (bpf_probe_read_user_str(p->fname, sizeof(p->fname), filename) < 0)
		p->fname[0] = 0;
	bpf_map_update_elem(&pending, &tid, p, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return on_exec_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1], ctx->id, 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return on_exec_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2], ctx->id,
			     PREC_F_EXECVEAT);
}

/* Reads argv strings of a failed exec from the caller's memory into the payload; a 32-bit caller's
 * argv holds 4-byte pointers. */
static __always_inline void put_user_argv(struct scratch *sc, const char *const *argv, bool compat)
{
	__u32 max = cfg_args_max;
	__u32 start = sc->off;
	int i;

	if (max > PIECE_MAX)
		max = PIECE_MAX;
	for (i = 0; i < FAIL_ARGS_MAX; i++) {
		const char *arg = 0;
		long rerr;
		if (compat) {
			__u32 a32 = 0;
			rerr = bpf_probe_read_user(&a32, sizeof(a32), (const __u32 *)argv + i);
			arg = (const char *)(unsigned long)a32;
		} else {
			rerr = bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
		}
		if (rerr) {
			sc->ev.flags |= PREC_F_ARGS_FAULT;
			break;
		}
		if (!arg)
			break;
		__u32 off = sc->off;
		__u32 used = off - start;
		if (off >= PAYLOAD_LIMIT || used >= max) {
			sc->ev.flags |= PREC_F_ARGS_TRUNC;
			break;
		}
		__u32 room = max - used;
		if (room > PIECE_MAX)
			room = PIECE_MAX;
		barrier_var(room);
		long n = bpf_probe_read_user_str(&sc->data[off & (PAYLOAD_LIMIT - 1)],
						 room & (2 * PIECE_MAX - 1), arg);
		if (n <= 0) {
			sc->ev.flags |= PREC_F_ARGS_FAULT;
			break;
		}
		if ((__u32)n >= room) /* filled the room: the string may go on */
			sc->ev.flags |= PREC_F_ARGS_TRUNC;
		sc->off = off + n;
		sc->ev.argc = i + 1;
	}
	if (i == FAIL_ARGS_MAX)
		sc->ev.flags |= PREC_F_ARGS_TRUNC;
	sc->ev.args_len = sc->off - start;
}

static __always_inline int on_exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	struct scratch *sc;
	struct pathbuf *pb;
	struct task_struct *t;
	if (!p)
		return 0;
	if (ret >= 0)
		goto out;
	sc = get_scratch();
	pb = get_pathbuf();
	if (!sc || !pb)
		goto out;
	t = bpf_get_current_task_btf();
	__builtin_memset(&sc->ev, 0, sizeof(sc->ev));
	sc->off = 0;
	sc->ev.type = PREC_EV_EXEC_FAIL;
	sc->ev.pid = tid;
	sc->ev.ret = ret;
	sc->ev.syscall_nr = p->nr;
	sc->ev.flags = p->flags;
	fill_task(sc, t);

	int ponr = (__u64)BPF_CORE_READ(t, mm) != p->mm;
	if (ponr)
		sc->ev.flags |= PREC_F_PONR;
	/* The name as the caller passed it: re-read now that the kernel has faulted the page in,
	 * else the entry copy. */
	__u32 off = sc->off;
	long n = -1;
	if (!ponr)
		n = bpf_probe_read_user_str(&sc->data[off & (PAYLOAD_LIMIT - 1)], PATH_CAP,
					    (const char *)p->filename);
	if (n <= 1)
		n = bpf_probe_read_kernel_str(&sc->data[off & (PAYLOAD_LIMIT - 1)], sizeof(p->fname),
					      p->fname);
	if (n > 0) {
		if (n >= PATH_CAP)
			sc->ev.flags |= PREC_F_FILENAME_TRUNC;
		sc->ev.filename_len = n - 1;
		sc->off = off + n - 1;
	}
	put_cwd(sc, pb, t);
	put_task_cgroup(sc, t);
	if (!ponr)
		put_user_argv(sc, (const char *const *)p->argv, p->flags & PREC_F_COMPAT);
	submit(sc, PREC_CNT_EXEC_FAIL);
out:
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

#if defined(__TARGET_ARCH_x86)
/* Opt-in (failed_execs_32bit): the raw syscall hooks see 32-bit (ia32) execs too, which the per-syscall
 * tracepoints miss, at the price of running on every syscall of the host (~200 ns each, measured in
 * docs/kernel.md). They replace the tracepoints above; precd never attaches both. */
#define TS_COMPAT 0x0002
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define NR_IA32_EXECVE 11
#define NR_IA32_EXECVEAT 358

static __always_inline bool in_compat(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_any, struct pt_regs *regs, long id)
{
	if (id != NR_EXECVE && id != NR_EXECVEAT && id != NR_IA32_EXECVE && id != NR_IA32_EXECVEAT)
		return 0;
	if (in_compat()) { /* ia32 numbers overlap native ones: the mode decides */
		if (id == NR_IA32_EXECVE)
			return on_exec_enter((const char *)BPF_CORE_READ(regs, bx), (const char *const *)BPF_CORE_READ(regs, cx),
					     id, PREC_F_COMPAT);
		if (id == NR_IA32_EXECVEAT)
			return on_exec_enter((const char *)BPF_CORE_READ(regs, cx), (const char *const *)BPF_CORE_READ(regs, dx),
					     id, PREC_F_COMPAT | PREC_F_EXECVEAT);
		return 0;
	}
	if (id == NR_EXECVE)
		return on_exec_enter((const char *)BPF_CORE_READ(regs, di), (const char *const *)BPF_CORE_READ(regs, si), id, 0);
	if (id == NR_EXECVEAT)
		return on_exec_enter((const char *)BPF_CORE_READ(regs, si), (const char *const *)BPF_CORE_READ(regs, dx), id,
				     PREC_F_EXECVEAT);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_any, struct pt_regs *regs, long ret)
{
	long id = BPF_CORE_READ(regs, orig_ax);
	if (id != NR_EXECVE && id != NR_EXECVEAT && id != NR_IA32_EXECVE && id != NR_IA32_EXECVEAT)
		return 0;
	return on_exec_exit(ret);
}
#endif
