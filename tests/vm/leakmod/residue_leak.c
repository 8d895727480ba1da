// SPDX-License-Identifier: GPL-2.0
/*
 * residue_leak: a test-only module that leaks references on purpose, so residue's tests can
 * reproduce what a filesystem bug like seed 002 leaves behind on a real distribution kernel (the
 * tests/vm guest) without rebuilding it.  Writing a path to one of its parameters takes one more
 * reference and never drops it:
 *   /sys/module/residue_leak/parameters/leak_inode    ihold() on the path's inode
 *   /sys/module/residue_leak/parameters/leak_dentry   dget() on the path's dentry
 * (or leak_inode=PATH / leak_dentry=PATH at insmod time).  Unmounting that filesystem afterwards
 * ends in "VFS: Busy inodes after unmount" -- a kernel BUG where CONFIG_BUG_ON_DATA_CORRUPTION is
 * set.  Never load this anywhere but a throw-away test kernel.
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/string.h>

enum leak_kind {
	LEAK_INODE,
	LEAK_DENTRY
};

static int leak(const char *val, enum leak_kind kind)
{
	struct path path;
	char *copy, *name;
	int r;

	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	name = strim(copy);
	if (!*name) {
		kfree(copy);
		return -EINVAL;
	}
	r = kern_path(name, LOOKUP_FOLLOW, &path);
	if (r) {
		pr_err("residue_leak: %s: error %d\n", name, r);
		kfree(copy);
		return r;
	}
	if (kind == LEAK_DENTRY)
		dget(path.dentry);
	else
		ihold(d_inode(path.dentry));
	pr_info("residue_leak: leaked a%s reference to %s (inode %lu on %s, %s)\n",
		kind == LEAK_DENTRY ? " dentry" : "n inode", name, d_inode(path.dentry)->i_ino,
		path.dentry->d_sb->s_id, path.dentry->d_sb->s_type->name);
	path_put(&path);
	kfree(copy);
	return 0;
}

static int set_leak_inode(const char *val, const struct kernel_param *kp)
{
	return leak(val, LEAK_INODE);
}

static int set_leak_dentry(const char *val, const struct kernel_param *kp)
{
	return leak(val, LEAK_DENTRY);
}

static const struct kernel_param_ops leak_inode_ops = { .set = set_leak_inode };
static const struct kernel_param_ops leak_dentry_ops = { .set = set_leak_dentry };
module_param_cb(leak_inode, &leak_inode_ops, NULL, 0200);
MODULE_PARM_DESC(leak_inode, "a path whose inode gets one reference that is never dropped");
module_param_cb(leak_dentry, &leak_dentry_ops, NULL, 0200);
MODULE_PARM_DESC(leak_dentry, "a path whose dentry gets one reference that is never dropped");

static int __init residue_leak_init(void)
{
	return 0;
}

static void __exit residue_leak_exit(void)
{
}

module_init(residue_leak_init);
module_exit(residue_leak_exit);
MODULE_DESCRIPTION("residue tests: leak dentry and inode references on purpose");
MODULE_LICENSE("GPL");
