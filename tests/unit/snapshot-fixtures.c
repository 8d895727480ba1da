// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hand-built snapshots of snapshot-fixtures.h: a base host and one adder
 * per case of the orphan contract, filled the way the collectors fill a real
 * scan (holder detail only on unattached mounts, writes derived from the
 * open flags or mapping permissions, probes only for superblocks reached
 * through such holders).  Every adder uses its own pids, mount ids and
 * devices, so all of them can share one snapshot ("host").
 */
#include "snapshot-fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/array.h"

#define TMPFS_MAGIC_ 0x01021994
#define EXT4_MAGIC_ 0xEF53
#define OVERLAY_MAGIC_ 0x794c7630

static void *fx_nonnull(void *p)
{
	if (!p) {
		fputs("Bail out! out of memory building a fixture\n", stdout);
		exit(EXIT_FAILURE);
	}
	return p;
}

static char *fx_strdup(const char *s)
{
	return s ? fx_nonnull(strdup(s)) : NULL;
}

static void fx_ok(int r)
{
	if (r < 0) {
		printf("Bail out! building a fixture: %s\n", strerror(-r));
		exit(EXIT_FAILURE);
	}
}

/* A process in mount namespace @mntns_id (counted there when the namespace exists). */
static uint32_t fx_process(Snapshot *s, pid_t pid, const char *comm, const char *cgroup,
			   uint64_t mntns_id)
{
	Process *p = fx_nonnull(snapshot_add_process(s));
	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->cgroup = fx_strdup(cgroup);
	p->mntns_id = mntns_id;
	MountNs *ns = snapshot_find_ns(s, mntns_id);
	if (ns) {
		p->mntns_ino = ns->ino;
		if (ns->nr_procs++ == 0)
			ns->pid = pid;
	}
	return (uint32_t)(s->n_procs - 1);
}

/* A holder as the process scan records it: no detail yet.  Valid until the next add. */
static Holder *fx_holder(Snapshot *s, uint32_t proc, HolderHow how, uint64_t mnt_id, uint64_t dev,
			 uint64_t ino, uint32_t st_mode)
{
	Holder *h = fx_nonnull(snapshot_add_holder(s));
	h->proc = proc;
	h->how = (uint8_t)how;
	h->mnt_id = mnt_id;
	h->dev = dev;
	h->ino = ino;
	h->st_mode = st_mode;
	return h;
}

/* The probe's detail for any holder: its path inside the orphan. */
static void fx_detail(Holder *h, const char *path)
{
	h->has_detail = true;
	h->path = fx_strdup(path);
}

/* The probe's detail for an fd holder: path and fdinfo flags, as read_open_mode() sets them. */
static void fx_detail_fd(Holder *h, int fd, int flags, const char *path)
{
	fx_detail(h, path);
	h->fd = fd;
	h->open_flags = flags;
	h->writes = flags >= 0 && !(flags & O_PATH) && (flags & O_ACCMODE) != O_RDONLY;
}

/* The probe's detail for a mapping: perms as in /proc/PID/maps. */
static void fx_detail_mmap(Holder *h, uint64_t start, const char *perms, const char *path)
{
	fx_detail(h, path);
	h->map_start = start;
	snprintf(h->perms, sizeof(h->perms), "%s", perms);
	h->writes = h->perms[1] == 'w' && h->perms[3] == 's';
}

/* A probed superblock.  Valid until the next fx_sb(). */
static SbProbe *fx_sb(Snapshot *s, uint64_t dev, uint64_t magic, const char *fstype)
{
	SbProbe *sb = fx_nonnull(ARRAY_PUSH(s->sbs, s->n_sbs, s->cap_sbs));
	sb->dev = dev;
	sb->magic = magic;
	snprintf(sb->fstype, sizeof(sb->fstype), "%s", fstype);
	sb->memory_backed = magic == TMPFS_MAGIC_;
	return sb;
}

static void fx_used(SbProbe *sb, uint64_t used, uint64_t total)
{
	sb->have_used = true;
	sb->used_bytes = used;
	sb->total_bytes = total;
}

/* One of the largest files: call largest first, as the walk sorts them. */
static void fx_file(SbProbe *sb, const char *path, uint64_t bytes, uint64_t size)
{
	sb->files = fx_nonnull(realloc(sb->files, (sb->n_files + 1) * sizeof(*sb->files)));
	sb->files[sb->n_files++] = (FileEntry){ fx_strdup(path), bytes, size };
	sb->files_listed = true;
}

static MountNs *fx_ns(Snapshot *s, uint64_t id, uint64_t ino)
{
	MountNs *ns = fx_nonnull(snapshot_add_ns(s));
	ns->id = id;
	ns->ino = ino;
	return ns;
}

/* A mount of a listed namespace: live. */
static void fx_mount(Snapshot *s, uint64_t ns_id, uint64_t mnt_id)
{
	MountNs *ns = fx_nonnull(snapshot_find_ns(s, ns_id));
	ns->mnt_ids = fx_nonnull(realloc(ns->mnt_ids, (ns->n_mnt_ids + 1) * sizeof(uint64_t)));
	ns->mnt_ids[ns->n_mnt_ids++] = mnt_id;
	ns->nr_mounts = (uint32_t)ns->n_mnt_ids;
	ns->listed = true;
	fx_ok(u64set_add(&s->live_mnt_ids, mnt_id));
}

static void fx_nsbind(Snapshot *s, uint64_t in_ns_id, uint64_t target_ino, uint64_t mnt_id,
		      const char *path)
{
	NsBind *b = fx_nonnull(ARRAY_PUSH(s->nsbinds, s->n_nsbinds, s->cap_nsbinds));
	b->in_ns_id = in_ns_id;
	b->target_ino = target_ino;
	b->mnt_id = mnt_id;
	b->path = fx_strdup(path);
}

Snapshot *fixture_base(void)
{
	Snapshot *s = fx_nonnull(snapshot_new());

	s->uid = 0;
	s->privileged = true;
	s->ns_walk = true;
	s->has_listmount = true;
	s->self_mntns_id = FX_HOST_NS_ID;
	s->self_pid = 999;
	s->nsfs_dev = FX_NSFS_DEV;

	fx_ns(s, FX_HOST_NS_ID, FX_HOST_NS_INO);
	fx_mount(s, FX_HOST_NS_ID, FX_MNT_ROOT);
	fx_mount(s, FX_HOST_NS_ID, FX_MNT_PROC);
	fx_mount(s, FX_HOST_NS_ID, FX_MNT_TMP);
	fx_ok(u64set_add(&s->internal_mnt_ids, FX_MNT_NSFS));
	fx_ok(u64set_add(&s->internal_mnt_ids, FX_MNT_PIPEFS));
	fx_ok(u64set_add(&s->live_devs, FX_DEV_ROOT));
	fx_ok(u64set_add(&s->live_devs, FX_DEV_PROC));
	fx_ok(u64set_add(&s->live_devs, FX_DEV_TMP));
	s->live_devs_known = true;

	/* pid 1 on the live root: a control present in every fixture. */
	uint32_t init = fx_process(s, 1, "systemd", "/init.scope", FX_HOST_NS_ID);
	fx_holder(s, init, HOLD_ROOT, FX_MNT_ROOT, FX_DEV_ROOT, 2, S_IFDIR | 0755)->mount_root =
		true;
	fx_holder(s, init, HOLD_CWD, FX_MNT_ROOT, FX_DEV_ROOT, 2, S_IFDIR | 0755)->mount_root =
		true;
	return s;
}

/* (a) A container's tmpfs, its namespace gone, kept by one read-write fd. */
void fx_add_tmpfs_fd(Snapshot *s)
{
	uint32_t p = fx_process(s, 4242, "residue-hold", "/system.slice/docker-4f3a9c.scope",
				FX_HOST_NS_ID);
	fx_detail_fd(fx_holder(s, p, HOLD_FD, 1001, FX_DEV_TMPFS_FD, 5, S_IFREG | 0644), 3, O_RDWR,
		     "/held");

	SbProbe *sb = fx_sb(s, FX_DEV_TMPFS_FD, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 68169728, 268435456); /* 65 MiB + 8 KiB of a 256 MiB tmpfs */
	fx_file(sb, "/big", 67108864, 67108864);
	fx_file(sb, "/held", 1048576, 1048576);
	fx_file(sb, "/logs/app.log", 4096, 120);
	sb->nr_files = 5; /* the walk kept the largest three */
}

/* (b) The seed: the fd was closed, one 4 KiB shared writable mapping is left. */
void fx_add_mmap(Snapshot *s)
{
	uint32_t p =
		fx_process(s, 5151, "residue-hold",
			   "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-5151.scope",
			   FX_HOST_NS_ID);
	fx_detail_mmap(fx_holder(s, p, HOLD_MMAP, 1002, FX_DEV_MMAP, 3, S_IFREG | 0600),
		       0x7f0c4a200000, "rw-s", "/held");

	SbProbe *sb = fx_sb(s, FX_DEV_MMAP, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 4096, 0);
	fx_file(sb, "/held", 4096, 4096);
	sb->nr_files = 1;
}

/* (c) A working directory on a tmpfs, and a chroot into an overlay. */
void fx_add_cwd_root(Snapshot *s)
{
	uint32_t sh = fx_process(s, 6161, "sh", NULL, FX_HOST_NS_ID);
	fx_detail(fx_holder(s, sh, HOLD_CWD, 1003, FX_DEV_CWD, 7, S_IFDIR | 0755), "/work");
	uint32_t ch = fx_process(s, 6262, "chrooted", "/user.slice/user-1000.slice", FX_HOST_NS_ID);
	Holder *h = fx_holder(s, ch, HOLD_ROOT, 1004, FX_DEV_ROOTDIR, 2, S_IFDIR | 0755);
	h->mount_root = true;
	fx_detail(h, "/");

	SbProbe *sb = fx_sb(s, FX_DEV_CWD, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 2097152, 0);
	fx_file(sb, "/work/out.bin", 2097152, 2000000);
	sb->nr_files = 1;

	/* An overlay's statfs is its upper layer's; the walk hit its entry limit. */
	sb = fx_sb(s, FX_DEV_ROOTDIR, OVERLAY_MAGIC_, "overlay");
	fx_used(sb, 5368709120, 10737418240);
	fx_file(sb, "/var/cache/big.tar", 1073741824, 1073741824);
	fx_file(sb, "/usr/bin/bash", 1265664, 1265648);
	sb->nr_files = 1000000;
	sb->files_note = fx_strdup("walk truncated: too many entries or too deep");
}

/* (d) An open_tree()/fsmount() tree never attached: an O_PATH fd on its root. */
void fx_add_detached(Snapshot *s)
{
	uint32_t p = fx_process(s, 7171, "containerd", "/system.slice/containerd.service",
				FX_HOST_NS_ID);
	Holder *h = fx_holder(s, p, HOLD_MOUNT_FD, 1005, FX_DEV_DETACHED, 1, S_IFDIR | 01777);
	h->mount_root = true;
	fx_detail_fd(h, 5, O_PATH | O_CLOEXEC, "/");

	SbProbe *sb = fx_sb(s, FX_DEV_DETACHED, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 8192, 0);
	fx_file(sb, "/config.json", 8192, 5000);
	sb->nr_files = 1;
}

/* (e) ext4 on loop devices: one written to, one only read. */
void fx_add_loop_ext4(Snapshot *s)
{
	uint32_t w =
		fx_process(s, 8181, "writer", "/system.slice/docker-8181.scope", FX_HOST_NS_ID);
	fx_detail_fd(fx_holder(s, w, HOLD_FD, 1006, FX_DEV_LOOP_WRITE, 12, S_IFREG | 0644), 4,
		     O_WRONLY | O_APPEND | O_LARGEFILE, "/data/log");
	uint32_t r =
		fx_process(s, 8282, "reader", "/system.slice/docker-8282.scope", FX_HOST_NS_ID);
	fx_detail_fd(fx_holder(s, r, HOLD_FD, 1007, FX_DEV_LOOP_READ, 13, S_IFREG | 0644), 3,
		     O_RDONLY | O_LARGEFILE, "/data/read");

	SbProbe *sb = fx_sb(s, FX_DEV_LOOP_WRITE, EXT4_MAGIC_, "ext4");
	sb->block_backed = true;
	sb->source = fx_strdup("/dev/loop0 (/tmp/x.img)");
	fx_used(sb, 12582912, 104857600);
	fx_file(sb, "/data/log", 10485760, 10485000);
	fx_file(sb, "/data/seed", 2097152, 2097152);
	sb->nr_files = 2;

	sb = fx_sb(s, FX_DEV_LOOP_READ, EXT4_MAGIC_, "ext4");
	sb->block_backed = true;
	sb->source = fx_strdup("/dev/loop1 (/tmp/y.img)");
	fx_used(sb, 3145728, 104857600);
	sb->files_note = fx_strdup("root not found: Operation not permitted");
}

/* (f) A mount in no namespace whose superblock is still mounted in one: nothing pinned. */
void fx_add_mounted_elsewhere(Snapshot *s)
{
	uint32_t p = fx_process(s, 9001, "holder", "/system.slice/holder.service", FX_HOST_NS_ID);
	fx_detail_fd(fx_holder(s, p, HOLD_FD, 1008, FX_DEV_ELSEWHERE, 4, S_IFREG | 0644), 3, O_RDWR,
		     "/x");
	fx_mount(s, FX_HOST_NS_ID, 23);
	fx_ok(u64set_add(&s->live_devs, FX_DEV_ELSEWHERE));

	SbProbe *sb = fx_sb(s, FX_DEV_ELSEWHERE, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 1048576, 0);
}

/* (g) References to live and to kernel-internal mounts: what every process has. */
void fx_add_live_internal(Snapshot *s)
{
	uint32_t p = fx_process(s, 9101, "nginx", "/system.slice/nginx.service", FX_HOST_NS_ID);
	fx_holder(s, p, HOLD_EXE, FX_MNT_ROOT, FX_DEV_ROOT, 1500, S_IFREG | 0755);
	fx_holder(s, p, HOLD_MMAP, FX_MNT_ROOT, FX_DEV_ROOT, 1501, S_IFREG | 0755)->map_start =
		0x7f0000000000;
	fx_holder(s, p, HOLD_FD, FX_MNT_TMP, FX_DEV_TMP, 40, S_IFREG | 0600)->fd = 3;
	fx_holder(s, p, HOLD_FD, FX_MNT_PIPEFS, FX_DEV(0, 14), 8179, S_IFIFO | 0600)->fd = 4;
	/* A network namespace fd: nsfs, internal, and no mount namespace's inode. */
	fx_holder(s, p, HOLD_FD, FX_MNT_NSFS, FX_NSFS_DEV, 4026532400, S_IFREG | 0444)->fd = 5;
	/* Detail on a live holder must not make it an orphan. */
	fx_detail_fd(fx_holder(s, p, HOLD_FD, FX_MNT_PROC, FX_DEV_PROC, 4242, S_IFREG | 0444), 6,
		     O_RDONLY, "/proc/self/status");
	/* A mount id the scan could not learn (0): never unattached. */
	fx_detail_fd(fx_holder(s, p, HOLD_FD, 0, FX_DEV(0, 99), 1, S_IFREG | 0644), 7, O_RDWR,
		     "/unknown");
}

/* (h) A holder on an unattached mount that closed before the probe: no detail. */
void fx_add_vanished(Snapshot *s)
{
	uint32_t p = fx_process(s, 9201, "shortlived", "/system.slice/cron.service", FX_HOST_NS_ID);
	fx_holder(s, p, HOLD_FD, 1009, FX_DEV_VANISHED, 3, S_IFREG | 0644)->fd = 3;
}

/* A superblock that process-less @ns keeps; @bytes (tmpfs) or UINT64_MAX when unknown. */
static void fx_kept(MountNs *ns, uint64_t dev, const char *fstype, const char *point,
		    uint64_t bytes)
{
	KeptFs *k = fx_nonnull(ARRAY_PUSH(ns->kept, ns->n_kept, ns->cap_kept));
	k->dev = dev;
	snprintf(k->fstype, sizeof(k->fstype), "%s", fstype);
	k->point = fx_strdup(point);
	k->bytes_known = bytes != UINT64_MAX;
	k->bytes = k->bytes_known ? bytes : 0;
	ns->kept_known = true;
}

/* (i) Mount namespaces with no process, kept by nsfs fds and binds; one with processes. */
void fx_add_namespaces(Snapshot *s)
{
	MountNs *ns = fx_ns(s, FX_NS_FD_ID, FX_NS_FD_INO);
	ns->tmpfs_bytes = 1048576 + 8192;
	ns->tmpfs_known = true;
	ns->tmpfs_mounts = 2;
	fx_kept(ns, FX_DEV_KEPT, "tmpfs", "/run/app", 1048576);
	fx_kept(ns, FX_DEV_KEPT_OVL, "overlay", "/", UINT64_MAX);
	fx_kept(ns, FX_DEV_KEPT_BOTH, "tmpfs", "/dev/shm", 8192);
	fx_mount(s, FX_NS_FD_ID, 2001);
	fx_mount(s, FX_NS_FD_ID, 2002);
	fx_mount(s, FX_NS_FD_ID, 2003);
	ns = fx_ns(s, FX_NS_BIND_ID, FX_NS_BIND_INO);
	ns->tmpfs_bytes = 8192;
	ns->tmpfs_known = true;
	ns->tmpfs_mounts = 1;
	fx_kept(ns, FX_DEV_KEPT_BOTH, "tmpfs", "/shm", 8192);
	fx_mount(s, FX_NS_BIND_ID, 2011);
	fx_mount(s, FX_NS_BIND_ID, 2012);
	fx_ns(s, FX_NS_INNER_ID, FX_NS_INNER_INO);
	fx_mount(s, FX_NS_INNER_ID, 2021);
	fx_ns(s, FX_NS_ORPHANBIND_ID, FX_NS_ORPHANBIND_INO);
	fx_mount(s, FX_NS_ORPHANBIND_ID, 2031);
	/* Its mounts could not be listed: how many the walk said, nothing measured. */
	ns = fx_ns(s, FX_NS_NONE_ID, FX_NS_NONE_INO);
	ns->nr_mounts = 5;
	fx_ns(s, FX_NS_LIVE_ID, FX_NS_LIVE_INO);
	fx_mount(s, FX_NS_LIVE_ID, 2041);

	uint32_t k = fx_process(s, 9301, "sleep", "/system.slice/ns-keeper.service", FX_HOST_NS_ID);
	fx_holder(s, k, HOLD_FD, FX_MNT_NSFS, FX_NSFS_DEV, FX_NS_FD_INO, S_IFREG | 0444)->fd = 4;
	/* An nsfs fd on a namespace that has processes: not a reason to report it. */
	fx_holder(s, k, HOLD_FD, FX_MNT_NSFS, FX_NSFS_DEV, FX_NS_LIVE_INO, S_IFREG | 0444)->fd = 5;
	/* Same inode number on another filesystem: not a namespace reference. */
	fx_holder(s, k, HOLD_FD, FX_MNT_TMP, FX_DEV_TMP, FX_NS_BIND_INO, S_IFREG | 0644)->fd = 6;
	fx_process(s, 9302, "pause", "/kubepods.slice/pod-live", FX_NS_LIVE_ID);
	fx_process(s, 9303, "app", "/kubepods.slice/pod-live", FX_NS_LIVE_ID);

	fx_mount(s, FX_HOST_NS_ID, 24);
	fx_nsbind(s, FX_HOST_NS_ID, FX_NS_FD_INO, 24, "/run/keep/fd-ns");
	fx_mount(s, FX_HOST_NS_ID, 25);
	fx_nsbind(s, FX_HOST_NS_ID, FX_NS_BIND_INO, 25, "/tmp/k/nsfile");
	/* Inside a namespace that has no process itself: no pid to nsenter. */
	fx_nsbind(s, FX_NS_BIND_ID, FX_NS_INNER_INO, 2012, "/inner/nsfile");
	/* In a namespace the snapshot does not know. */
	fx_nsbind(s, FX_NS_GONE_ID, FX_NS_ORPHANBIND_INO, 3001, "/gone/nsfile");
	/* A bind of a namespace that has processes: not reported either. */
	fx_mount(s, FX_HOST_NS_ID, 26);
	fx_nsbind(s, FX_HOST_NS_ID, FX_NS_LIVE_INO, 26, "/run/keep/live-ns");
}

/* (j) One orphan held by three processes in four ways over two mounts; one by two. */
void fx_add_shared(Snapshot *s)
{
	const char *pod = "/kubepods.slice/kubepods-pod7e1.slice/cri-containerd-app.scope";
	uint32_t a1 = fx_process(s, 1201, "app", pod, FX_HOST_NS_ID);
	uint32_t a2 = fx_process(s, 1202, "app", pod, FX_HOST_NS_ID);
	uint32_t bk = fx_process(s, 1203, "backup", "/system.slice/backup.service", FX_HOST_NS_ID);
	uint32_t sc = fx_process(s, 1204, "sidecar", pod, FX_HOST_NS_ID);

	/* One thread of 1202 sits in a directory of its own (its tid 1205). */
	Holder *h = fx_holder(s, a2, HOLD_CWD, 1010, FX_DEV_SHARED, 9, S_IFDIR | 0755);
	h->tid = 1205;
	fx_detail(h, "/dir");
	fx_detail_fd(fx_holder(s, a1, HOLD_FD, 1010, FX_DEV_SHARED, 10, S_IFREG | 0644), 7,
		     O_RDONLY, "/a");
	fx_detail_fd(fx_holder(s, sc, HOLD_FD, 1011, FX_DEV_SHARED2, 20, S_IFREG | 0644), 3, O_RDWR,
		     "/my file \"q\"\\x");
	fx_detail_mmap(fx_holder(s, a1, HOLD_MMAP, 1010, FX_DEV_SHARED, 10, S_IFREG | 0644),
		       0x7f1100000000, "r--s", "/a");
	/* A second mount (a bind) of the same superblock. */
	fx_detail_fd(fx_holder(s, bk, HOLD_FD, 1012, FX_DEV_SHARED, 11, S_IFREG | 0644), 9, O_RDWR,
		     "/b");
	fx_detail(fx_holder(s, a1, HOLD_EXE, 1011, FX_DEV_SHARED2, 21, S_IFREG | 0755),
		  "/bin/sidecar-helper");

	SbProbe *sb = fx_sb(s, FX_DEV_SHARED, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 3149824, 0);
	fx_file(sb, "/a", 2097152, 2097152);
	fx_file(sb, "/b", 1048576, 1000000);
	fx_file(sb, "/dir/x", 4096, 17);
	sb->nr_files = 3;

	sb = fx_sb(s, FX_DEV_SHARED2, TMPFS_MAGIC_, "tmpfs");
	fx_used(sb, 1536, 0);
	sb->files_note = fx_strdup("root not found: No such file or directory");
}

/* (k) What could not be read. */
void fx_add_gaps(Snapshot *s)
{
	for (int i = 0; i < 3; i++)
		fx_ok(snapshot_add_pid_gap(s, "open files (/proc/PID/fd/N)", "statx", EACCES,
					   4343 + i));
	fx_ok(snapshot_add_gap(s, "process mount namespace (/proc/PID/ns/mnt)", "open", EPERM));
	fx_ok(snapshot_add_pid_gap(s, "mount details", "read mountinfo", -EIO, 77));
}

/* (l) A holder with detail whose superblock the probe learned nothing about. */
void fx_add_no_probe(Snapshot *s)
{
	uint32_t p = fx_process(s, 9401, "mystery", NULL, FX_HOST_NS_ID);
	fx_detail_fd(fx_holder(s, p, HOLD_FD, 1013, FX_DEV_NOPROBE, 2, S_IFREG | 0600), 6, -1,
		     NULL);
}

/*
 * (k, l, m) Kept by the kernel alone: a tmpfs a loop device is bound to a file
 * of, three that files in flight in unix sockets keep: in a socket pid
 * 4242 holds, in a connection its listener has not accepted, and inside a
 * socket in flight that no process residue read holds; one whose file is
 * fixed file 2 of pid 4343's io_uring ring (fd 7), one an fsopen context
 * of pid 4343 (fd 8) created, and the lower layer 1 of the overlay 0:80
 * mounted at /merged in the namespace of pid 4444.
 */
static void fx_add_kernel_held(Snapshot *s)
{
	static const uint64_t devs[] = { FX_DEV(0, 70), FX_DEV(0, 71), FX_DEV(0, 72), FX_DEV(0, 73),
					 FX_DEV(0, 74), FX_DEV(0, 75), FX_DEV(0, 76) };
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		KernelSb *k = ARRAY_PUSH(s->ksbs, s->n_ksbs, s->cap_ksbs);
		fx_ok(k ? 0 : -ENOMEM);
		*k = (KernelSb){ .dev = devs[i],
				 .magic = TMPFS_MAGIC_,
				 .s_active = 1,
				 .sb_flags = KSB_SB_ACTIVE,
				 .bytes_known = true,
				 .cached_bytes = 4096 * (i + 1) };
		SbProbe *sb = fx_sb(s, devs[i], TMPFS_MAGIC_, "tmpfs");
		fx_used(sb, 4096 * (i + 1), 0);
		sb->files_note = fx_strdup("not walked: no process holds a file of it");
	}
	LoopDev *l = ARRAY_PUSH(s->loops, s->n_loops, s->cap_loops);
	fx_ok(l ? 0 : -ENOMEM);
	*l = (LoopDev){ .name = "/dev/loop7",
			.rdev = FX_DEV(7, 7),
			.back_dev = devs[0],
			.back_ino = 12,
			.backing = fx_strdup("/held") };
	/*
	 * A dead superblock: the ext4 on /dev/loop8 whose unmount died in a kernel
	 * BUG with two inodes still referenced; the loop device stays bound.
	 */
	s->sb_walk = true;
	KernelSb *dead = ARRAY_PUSH(s->ksbs, s->n_ksbs, s->cap_ksbs);
	fx_ok(dead ? 0 : -ENOMEM);
	*dead = (KernelSb){ .dev = FX_DEV(7, 8),
			    .magic = 0xef53,
			    .sb_flags = KSB_SB_BORN,
			    .no_root = true,
			    .bytes_known = true,
			    .cached_bytes = 8192,
			    .inodes = 2,
			    .named = true,
			    .umount_locked = true,
			    .fstype = "ext4",
			    .s_id = "loop8" };
	l = ARRAY_PUSH(s->loops, s->n_loops, s->cap_loops);
	fx_ok(l ? 0 : -ENOMEM);
	*l = (LoopDev){ .name = "/dev/loop8",
			.rdev = FX_DEV(7, 8),
			.back_dev = FX_DEV(254, 1),
			.back_ino = 13,
			.backing = fx_strdup("/var/tmp/leak.img"),
			.in_use = true };
	uint32_t sender =
		fx_process(s, 4242, "sender", "/system.slice/sender.service", FX_HOST_NS_ID);
	const Inflight in[] = {
		{ .sk = 0x1000,
		  .sock_ino = 5001,
		  .dev = FX_DEV(0, 71),
		  .ino = 2,
		  .kind = INFLIGHT_FILE,
		  .via = INFLIGHT_DIRECT,
		  .resolved = true,
		  .owner_sock_ino = 5001,
		  .owner_pid = 4242,
		  .owner_fd = 5,
		  .owner_proc = (int32_t)sender },
		{ .sk = 0x2000,
		  .sock_ino = 5002,
		  .file_sk = 0x3000,
		  .kind = INFLIGHT_EMBRYO,
		  .owner_proc = -1 },
		{ .sk = 0x3000,
		  .dev = FX_DEV(0, 72),
		  .ino = 2,
		  .kind = INFLIGHT_FILE,
		  .via = INFLIGHT_VIA_EMBRYO,
		  .n_chain = 1,
		  .chain = { { 0, INFLIGHT_VIA_EMBRYO } }, /* the connection has no file yet */
		  .resolved = true,
		  .owner_sock_ino = 5002,
		  .owner_pid = 4242,
		  .owner_fd = 6,
		  .owner_proc = (int32_t)sender },
		{ .sk = 0x4000,
		  .sock_ino = 5004,
		  .dev = FX_DEV(0, 73),
		  .ino = 2,
		  .kind = INFLIGHT_FILE,
		  .via = INFLIGHT_VIA_NESTED,
		  .n_chain = 1,
		  .chain = { { 5004, INFLIGHT_VIA_NESTED } }, /* its socket, in flight itself */
		  .owner_sock_ino = 5005,
		  .owner_proc = -1 },
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		Inflight *f = ARRAY_PUSH(s->inflight, s->n_inflight, s->cap_inflight);
		fx_ok(f ? 0 : -ENOMEM);
		*f = in[i];
	}
	uint32_t ringer =
		fx_process(s, 4343, "ringer", "/system.slice/ringer.service", FX_HOST_NS_ID);
	const KHolder kh[] = {
		{ .dev = FX_DEV(0, 74),
		  .ino = 2,
		  .pid = 4343,
		  .fd = 7,
		  .index = 2,
		  .kind = KHOLDER_IO_URING,
		  .proc = (int32_t)ringer },
		{ .dev = FX_DEV(0, 75),
		  .pid = 4343,
		  .fd = 8,
		  .kind = KHOLDER_FSCONTEXT,
		  .proc = -1 },
		{ .dev = FX_DEV(0, 76),
		  .ovl_dev = FX_DEV(0, 80),
		  .pid = 4444,
		  .fd = -1,
		  .index = 1,
		  .kind = KHOLDER_OVERLAY,
		  .proc = -1 },
	};
	for (size_t i = 0; i < sizeof(kh) / sizeof(kh[0]); i++) {
		KHolder *k = ARRAY_PUSH(s->kholders, s->n_kholders, s->cap_kholders);
		fx_ok(k ? 0 : -ENOMEM);
		*k = kh[i];
	}
	s->kholders[0].path = fx_strdup("/held");
	s->kholders[1].proc = (int32_t)ringer;
	s->kholders[2].path = fx_strdup("/merged");
	s->kholders[2].proc = (int32_t)fx_process(s, 4444, "sleep", NULL, FX_HOST_NS_ID);
}

static void fx_add_nothing(Snapshot *s)
{
	(void)s;
}

const Fixture fixtures[] = {
	{ "empty", fx_add_nothing },
	{ "tmpfs-fd", fx_add_tmpfs_fd },
	{ "mmap", fx_add_mmap },
	{ "cwd-root", fx_add_cwd_root },
	{ "detached", fx_add_detached },
	{ "loop-ext4", fx_add_loop_ext4 },
	{ "mounted-elsewhere", fx_add_mounted_elsewhere },
	{ "live-internal", fx_add_live_internal },
	{ "vanished", fx_add_vanished },
	{ "namespaces", fx_add_namespaces },
	{ "shared", fx_add_shared },
	{ "gaps", fx_add_gaps },
	{ "no-probe", fx_add_no_probe },
	{ "kernel-held", fx_add_kernel_held },
};
const size_t n_fixtures = sizeof(fixtures) / sizeof(fixtures[0]);

Snapshot *fixture_build(const Fixture *f)
{
	Snapshot *s = fixture_base();
	f->add(s);
	return s;
}

Snapshot *fixture_host(void)
{
	Snapshot *s = fixture_base();
	for (size_t i = 0; i < n_fixtures; i++)
		fixtures[i].add(s);
	return s;
}

const Fixture *fixture_by_name(const char *name)
{
	for (size_t i = 0; i < n_fixtures; i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	return NULL;
}

CgNode *fx_cg_node(ZombieScan *z, uint64_t id, uint64_t parent_id, const char *path, bool dying,
		   uint64_t usage_pages)
{
	CgNode *n = zombie_scan_add_node(z);
	if (!n || !(n->path = strdup(path)))
		abort();
	n->id = id;
	n->parent_id = parent_id;
	n->dying = dying;
	n->usage_pages = usage_pages;
	return n;
}
