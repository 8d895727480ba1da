// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * residue-nobpf: run a command on a kernel that refuses BPF, as real hosts do, without such a
 * kernel.  It installs a seccomp filter (classic BPF, prctl(PR_SET_NO_NEW_PRIVS) first so it
 * needs no privilege) and execs the command, which with its children keeps the filter:
 *
 *   iter  bpf(BPF_LINK_CREATE) and bpf(BPF_ITER_CREATE) fail with EPERM, as under an LSM or
 *         lockdown that refuses iterators: programs load, nothing attaches or iterates
 *   load  bpf(BPF_PROG_LOAD) fails with EACCES, as when the verifier or lockdown says no
 *   all   every bpf() fails with ENOSYS, as on a kernel built without CONFIG_BPF_SYSCALL
 *
 * seccomp sees only the syscall's registers: it can check the bpf command (arg0) but not the
 * union bpf_attr it points to, so "iter" refuses every link, not only links of iterators, and
 * a program that a light skeleton's loader program loads from inside the kernel (bpf_sys_bpf)
 * is not seen at all; only the loader's own BPF_PROG_LOAD is.  That is how residue loads, so
 * "load" refuses it at its first program.  Used by tests/integration/bpf-refused.sh.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* The AUDIT_ARCH_* of this build: a filter must check it, syscall numbers differ per ABI. */
#if defined(__x86_64__) && defined(__ILP32__)
#define NOBPF_ARCH 0 /* x32: not supported */
#elif defined(__x86_64__)
#define NOBPF_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define NOBPF_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NOBPF_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NOBPF_ARCH AUDIT_ARCH_RISCV64
#elif defined(__s390x__)
#define NOBPF_ARCH AUDIT_ARCH_S390X
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NOBPF_ARCH AUDIT_ARCH_PPC64LE
#else
#define NOBPF_ARCH 0
#endif

/* The x32 ABI's syscalls carry this bit on x86-64 and would get past the numbers checked. */
#define NOBPF_X32_SYSCALL_BIT 0x40000000u

/* The low 32 bits of arg0: the bpf command is an int, the kernel ignores the rest. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NOBPF_ARG0_LO offsetof(struct seccomp_data, args[0])
#else
#define NOBPF_ARG0_LO (offsetof(struct seccomp_data, args[0]) + sizeof(__u32))
#endif

#define NOBPF_MAX_INSNS 16

static void usage(void)
{
	fputs("usage: residue-nobpf iter|load|all COMMAND [ARG...]\n"
	      "  iter  bpf(BPF_LINK_CREATE) and bpf(BPF_ITER_CREATE) fail with EPERM\n"
	      "  load  bpf(BPF_PROG_LOAD) fails with EACCES\n"
	      "  all   every bpf() fails with ENOSYS (no CONFIG_BPF_SYSCALL)\n",
	      stderr);
	exit(2);
}

static void add(struct sock_filter *prog, unsigned short *n, struct sock_filter insn)
{
	if (*n >= NOBPF_MAX_INSNS) {
		fputs("residue-nobpf: filter too long\n", stderr);
		exit(1);
	}
	prog[(*n)++] = insn;
}

/* Refuse @cmds (terminated by -1) with @err, or, with no commands, every bpf() with @err. */
static unsigned short build_filter(struct sock_filter *prog, const int *cmds, int err)
{
	const __u32 allow = SECCOMP_RET_ALLOW, refuse = SECCOMP_RET_ERRNO | (__u32)err;
	const __u32 foreign = SECCOMP_RET_ERRNO | ENOSYS;
	unsigned short n = 0;

	/* Another ABI (i386 on x86-64 through int 0x80) numbers bpf differently: refuse it all. */
	add(prog, &n,
	    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					 offsetof(struct seccomp_data, arch)));
	add(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOBPF_ARCH, 1, 0));
	add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, foreign));
	add(prog, &n,
	    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					 offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	add(prog, &n,
	    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, NOBPF_X32_SYSCALL_BIT, 0, 1));
	add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, foreign));
#endif
	add(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 1, 0));
	add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, allow));
	if (cmds[0] >= 0) {
		add(prog, &n,
		    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NOBPF_ARG0_LO));
		for (const int *c = cmds; *c >= 0; c++) {
			add(prog, &n,
			    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)*c, 0,
							 1));
			add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, refuse));
		}
		add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, allow));
	} else {
		add(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, refuse));
	}
	return n;
}

int main(int argc, char **argv)
{
	static const int iter_cmds[] = { BPF_LINK_CREATE, BPF_ITER_CREATE, -1 };
	static const int load_cmds[] = { BPF_PROG_LOAD, -1 };
	static const int all_cmds[] = { -1 };
	struct sock_filter insns[NOBPF_MAX_INSNS];
	const int *cmds;
	int err;

	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "iter")) {
		cmds = iter_cmds;
		err = EPERM;
	} else if (!strcmp(argv[1], "load")) {
		cmds = load_cmds;
		err = EACCES;
	} else if (!strcmp(argv[1], "all")) {
		cmds = all_cmds;
		err = ENOSYS;
	} else {
		usage();
	}
	if (NOBPF_ARCH == 0) {
		fputs("residue-nobpf: no seccomp architecture known for this build\n", stderr);
		return 77;
	}
	struct sock_fprog prog = { .len = build_filter(insns, cmds, err), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		fprintf(stderr, "residue-nobpf: cannot install a seccomp filter: %s\n",
			strerror(errno));
		return 77;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "residue-nobpf: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
