// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel-log findings (kernel-log.h): their names, what each kind means for
 * the host, and the list's memory.  The meanings are what the kernel source
 * does after it prints each message (cited in collect/kmsg.c).
 */
#include "model/kernel-log.h"

#include <stdlib.h>
#include <string.h>

#include "base/array.h"

const char *kernel_log_kind_to_string(KernelLogKind k)
{
	static const char *const names[_KLOG_KIND_MAX] = {
		[KLOG_BUSY_INODES] = "busy_inodes",
		[KLOG_DENTRY_IN_USE] = "dentry_in_use",
		[KLOG_SUPER_BUG] = "superblock_bug",
		[KLOG_EXT4_ORPHANS] = "ext4_orphan_list",
		[KLOG_NETDEV_WAIT] = "netdev_unregister_wait",
	};
	return (unsigned)k < _KLOG_KIND_MAX ? names[k] : "unknown";
}

const char *kernel_log_kind_meaning(KernelLogKind k)
{
	switch (k) {
	case KLOG_BUSY_INODES:
		return "a filesystem was unmounted while something still held references to its "
		       "inodes (a leaked reference): those inodes and their page cache are never "
		       "freed; on kernels built with CONFIG_BUG_ON_DATA_CORRUPTION (Debian's) the "
		       "unmount dies in a kernel BUG right after";
	case KLOG_DENTRY_IN_USE:
		return "a dentry of a filesystem being unmounted still had references (a leaked "
		       "dentry reference): it and its inode are never freed, and a \"Busy inodes\" "
		       "report of the same filesystem follows";
	case KLOG_SUPER_BUG:
		return "the unmount died in a kernel BUG in fs/super.c: the superblock stays on the "
		       "kernel's list half torn down with its s_umount lock held, so sync(2) and "
		       "anything else that walks superblocks hang forever (D state), the umount "
		       "process was killed and a loop device under it stays bound; do not run sync, "
		       "plan a reboot";
	case KLOG_EXT4_ORPHANS:
		return "ext4 found inodes still on its in-memory orphan list at unmount: a deleted "
		       "file's inode reference leaked; an ext4 assertion (a kernel BUG) follows";
	case KLOG_NETDEV_WAIT:
		return "a network device being unregistered (a dead container's veth or loopback) "
		       "is still referenced: it and its network namespace are never freed, and the "
		       "kernel's namespace cleanup waits on it, so namespaces torn down after it are "
		       "not freed either";
	default:
		return "";
	}
}

int kernel_log_kind_severity(KernelLogKind k)
{
	return k == KLOG_SUPER_BUG ? 2 : 3;
}

KernelLog *kernel_log_new(void)
{
	return calloc(1, sizeof(KernelLog));
}

KernelLog *kernel_log_free(KernelLog *l)
{
	if (!l)
		return NULL;
	free(l->items);
	free(l);
	return NULL;
}

KernelLog *kernel_log_copy(const KernelLog *l)
{
	KernelLog *c = kernel_log_new();
	if (!c)
		return NULL;
	*c = *l;
	c->items = NULL;
	c->n = c->cap = 0;
	if (l->n) {
		c->items = malloc(l->n * sizeof(*c->items));
		if (!c->items)
			return kernel_log_free(c);
		memcpy(c->items, l->items, l->n * sizeof(*c->items));
		c->n = c->cap = l->n;
	}
	return c;
}

KernelLogFinding *kernel_log_add(KernelLog *l)
{
	return ARRAY_PUSH(l->items, l->n, l->cap);
}
