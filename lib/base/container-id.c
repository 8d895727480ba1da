// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Container identity from a cgroup path; see container-id.h.  The path is
 * walked component by component, left to right, and every component that a
 * runtime, the kubelet or systemd is known to name is recognised on its own,
 * so the result describes the innermost container, pod and unit whatever the
 * cgroup root, driver or nesting.  The shapes, with where each comes from:
 *
 *   Docker, cgroupfs driver             /docker/<id>
 *   Docker, systemd driver              /system.slice/docker-<id>.scope
 *       (runc's and crun's systemd driver turn the OCI cgroupsPath
 *       "slice:prefix:name" into the unit "<prefix>-<name>.scope",
 *       opencontainers/cgroups systemd getUnitName(); dockerd passes
 *       "system.slice:docker:<id>", rootless "user.slice:docker:<id>")
 *   containerd CRI, cgroupfs            <pod cgroup>/<id>
 *   containerd CRI, systemd             <pod slice>/cri-containerd-<id>.scope
 *       (containerd internal/cri getCgroupsPath(): "<slice>:cri-containerd:<id>",
 *       else filepath.Join(parent, id))
 *   containerd without CRI              /<namespace>/<id> (oci.populateDefaultUnixSpec),
 *                                       nerdctl-<id>.scope (nerdctl "system.slice:nerdctl:<id>")
 *   CRI-O                               crio-<id>.scope, crio-conmon-<id>.scope (systemd),
 *                                       <parent>/crio-<id>, <parent>/crio-conmon-<id>
 *                                       (cgroupfs, and the infra cgroup under a pod slice)
 *       (cri-o internal/config/cgmgr: CrioPrefix "crio", MoveConmonToCgroup())
 *   Podman                              machine.slice/libpod-<id>.scope, libpod-conmon-<id>.scope,
 *                                       rootless user.slice/…/user@UID.service/user.slice/…,
 *                                       pods machine-libpod_pod_<podid>.slice,
 *                                       cgroupfs /libpod_parent/[<podid>/]libpod-<id>,
 *                                       /libpod_parent/conmon, split mode …/libpod-payload-<id>
 *       (podman libpod getOCICgroupPath(): "<slice>:libpod:<id>" or
 *       "<parent>/libpod-<id>"; conmon's createUnitName("libpod-conmon", id))
 *   crun's sub-cgroup                   <scope>/container: crun's systemd driver on cgroup v2
 *                                       puts the payload in a child (run.oci.systemd.subgroup,
 *                                       default "container"); anything below a container is its own
 *   kubelet, cgroupfs                   /kubepods[/burstable|/besteffort]/pod<uid>
 *   kubelet, systemd                    /kubepods.slice/kubepods-burstable.slice/
 *                                       kubepods-burstable-pod<uid with _ for ->.slice
 *       (kubernetes pkg/kubelet/cm cgroup_manager_linux.go: CgroupName.ToSystemd() joins the
 *       components with '-' after escapeSystemdCgroupName() turned each '-' into '_', and
 *       --cgroup-root adds words in front: kubelet-kubepods-…; Guaranteed pods sit directly
 *       below kubepods; static pods have a 32-hex UID, pkg/kubelet/config applyDefaults())
 *   LXC >= 4                            lxc.payload.<name>, lxc.monitor.<name>
 *                                       (lxc src/lxc/cgroups/cgroup.h DEFAULT_*_CGROUP_PREFIX)
 *   LXC < 4                             /lxc/<name> (DEFAULT_CGROUP_PATTERN "lxc/%n")
 *   systemd units                       names ending in .service, .scope, .slice, .socket, .mount
 *                                       or .swap (the unit types with a cgroup), possibly escaped
 *                                       with one leading '_' by cg_escape() (systemd
 *                                       src/basic/cgroup-util.c)
 *   a dead cgroup                       "<path> (deleted)", cgroup v2 only (kernel/cgroup/cgroup.c
 *                                       proc_cgroup_show())
 *
 * Ids are 64 lowercase hex digits everywhere a runtime uses them (sha256 or
 * random 32 bytes, always printed lowercase); anything else is not an id.
 */
#include "container-id.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

#define HEX_ID_LEN 64

/* A piece of the caller's path: never NUL-terminated. */
typedef struct Span {
	const char *s;
	size_t n;
} Span;

/* What the previous component was, for names that only mean something below a parent. */
typedef enum Parent {
	PARENT_OTHER,
	PARENT_DOCKER, /* "docker": cgroupfs parent of Docker's containers */
	PARENT_KUBEPODS, /* cgroupfs "kubepods" */
	PARENT_KUBE_QOS, /* cgroupfs "burstable"/"besteffort" right below kubepods */
	PARENT_POD, /* a kubelet pod cgroup or slice */
	PARENT_LIBPOD, /* "libpod_parent": Podman's cgroupfs parent */
	PARENT_LXC, /* "lxc": LXC < 4 */
} Parent;

typedef struct Walk {
	ContainerId c;
	Parent parent;
	bool in_container; /* a container lies above the current component */
} Walk;

static bool span_eq(Span c, const char *lit)
{
	size_t n = strlen(lit);
	return c.n == n && memcmp(c.s, lit, n) == 0;
}

static bool span_has_prefix(Span c, const char *lit)
{
	size_t n = strlen(lit);
	return c.n >= n && memcmp(c.s, lit, n) == 0;
}

static bool span_has_suffix(Span c, const char *lit)
{
	size_t n = strlen(lit);
	return c.n >= n && memcmp(c.s + c.n - n, lit, n) == 0;
}

static Span span_skip(Span c, size_t n)
{
	return (Span){ c.s + n, c.n - n };
}

static Span span_cut(Span c, size_t n)
{
	return (Span){ c.s, c.n - n };
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_hex_id(Span c)
{
	return c.n == HEX_ID_LEN && is_lower_hex(c.s, c.n);
}

/*
 * A kubelet pod UID: a UUID as the API server makes it (lowercase, @sep
 * where the UUID has dashes: '-' with cgroupfs, '_' in systemd slice names)
 * or, for a static pod, the 32 hex digits of a hash.
 */
static bool is_pod_uid(Span u, char sep)
{
	if (u.n == 32)
		return is_lower_hex(u.s, u.n);
	if (u.n != 36)
		return false;
	for (size_t i = 0; i < u.n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u.s[i] != sep)
				return false;
		} else if (!is_lower_hex(u.s + i, 1)) {
			return false;
		}
	}
	return true;
}

/* Callers check that @c fits: every Span copied here is at most NAME_MAX bytes. */
static void copy_span(char *dst, size_t size, Span c)
{
	size_t n = MIN(c.n, size - 1);
	memcpy(dst, c.s, n);
	dst[n] = '\0';
}

static void set_pod_uid(Walk *w, Span uid)
{
	copy_span(w->c.pod, sizeof(w->c.pod), uid);
	for (char *p = w->c.pod; *p; p++)
		if (*p == '_')
			*p = '-';
}

/*
 * systemd's unit name rules (unit_name_is_valid()): at most 255 bytes of
 * [A-Za-z0-9:_.\-@] before a type suffix.  Only the types that own a cgroup.
 */
static bool is_unit_name(Span u)
{
	static const char *const suffixes[] = { ".service", ".scope", ".slice",
						".socket",  ".mount", ".swap" };
	bool typed = false;

	if (u.n == 0 || u.n > CONTAINER_UNIT_MAX)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (u.n > strlen(suffixes[i]) && span_has_suffix(u, suffixes[i]))
			typed = true;
	if (!typed)
		return false;
	for (size_t i = 0; i < u.n; i++) {
		char ch = u.s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == ':' || ch == '_' || ch == '.' ||
		      ch == '\\' || ch == '-' || ch == '@'))
			return false;
	}
	return true;
}

/* A runtime's container cgroup: "<prefix><id>.scope" (systemd) or "<prefix><id>" (cgroupfs). */
static const struct {
	const char *prefix;
	ContainerRuntime runtime;
	bool is_monitor;
	bool as_scope; /* "<prefix><id>.scope" */
	bool as_dir; /* "<prefix><id>" */
} container_prefixes[] = {
	{ "docker-", CONTAINER_RUNTIME_DOCKER, false, true, false },
	{ "cri-containerd-", CONTAINER_RUNTIME_CONTAINERD, false, true, false },
	{ "nerdctl-", CONTAINER_RUNTIME_CONTAINERD, false, true, false },
	{ "crio-", CONTAINER_RUNTIME_CRIO, false, true, true },
	{ "crio-conmon-", CONTAINER_RUNTIME_CRIO, true, true, true },
	{ "libpod-", CONTAINER_RUNTIME_PODMAN, false, true, true },
	{ "libpod-conmon-", CONTAINER_RUNTIME_PODMAN, true, true, false },
	{ "libpod-payload-", CONTAINER_RUNTIME_PODMAN, false, false, true },
};

static void enter_container(Walk *w, ContainerRuntime runtime, Span id, bool is_monitor)
{
	if (w->in_container)
		w->c.is_nested = true;
	w->in_container = true;
	w->c.runtime = runtime;
	w->c.is_monitor = is_monitor;
	copy_span(w->c.id, sizeof(w->c.id), id);
}

/* A (new) kubepods tree: what was found above it is an outer container, if anything. */
static void enter_kubepods(Walk *w)
{
	if (w->in_container)
		w->c.is_nested = true;
	w->c.runtime = CONTAINER_RUNTIME_KUBEPODS;
	w->c.qos = KUBE_QOS_NONE;
	w->c.is_monitor = false;
	w->c.id[0] = '\0';
	w->c.pod[0] = '\0';
}

static void enter_podman_pod(Walk *w, Span pod_id)
{
	if (w->in_container)
		w->c.is_nested = true;
	w->c.runtime = CONTAINER_RUNTIME_PODMAN;
	w->c.qos = KUBE_QOS_NONE;
	w->c.is_monitor = false;
	w->c.id[0] = '\0';
	copy_span(w->c.pod, sizeof(w->c.pod), pod_id);
}

static bool match_runtime_prefix(Walk *w, Span c)
{
	bool scope = span_has_suffix(c, ".scope");
	Span body = scope ? span_cut(c, strlen(".scope")) : c;

	if (body.n <= HEX_ID_LEN)
		return false;
	Span id = span_skip(body, body.n - HEX_ID_LEN);
	Span prefix = span_cut(body, HEX_ID_LEN);
	if (!is_hex_id(id))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(container_prefixes); i++) {
		if (!span_eq(prefix, container_prefixes[i].prefix))
			continue;
		if (scope ? !container_prefixes[i].as_scope : !container_prefixes[i].as_dir)
			return false;
		enter_container(w, container_prefixes[i].runtime, id,
				container_prefixes[i].is_monitor);
		return true;
	}
	return false;
}

static KubeQos qos_from(Span word)
{
	if (span_eq(word, "burstable"))
		return KUBE_QOS_BURSTABLE;
	if (span_eq(word, "besteffort"))
		return KUBE_QOS_BESTEFFORT;
	return KUBE_QOS_NONE;
}

/* Next '-'-separated word of @rest; advances it.  Returns false at the end. */
static bool next_word(Span *rest, Span *ret)
{
	if (!rest->s)
		return false;
	const char *dash = memchr(rest->s, '-', rest->n);
	if (dash) {
		*ret = (Span){ rest->s, (size_t)(dash - rest->s) };
		*rest = span_skip(*rest, ret->n + 1);
	} else {
		*ret = *rest;
		*rest = (Span){ NULL, 0 };
	}
	return true;
}

/*
 * A kubelet slice: the words of "[root-]kubepods[-<qos>][-pod<uid>].slice"
 * spell its whole path, so one slice is enough even when the path above it
 * is hidden by a cgroup namespace ("/../kubepods-…").
 */
static bool match_kube_slice(Walk *w, Span c)
{
	Span rest, word;
	KubeQos qos = KUBE_QOS_NONE;

	if (!span_has_suffix(c, ".slice"))
		return false;
	rest = span_cut(c, strlen(".slice"));
	do {
		if (!next_word(&rest, &word))
			return false;
	} while (!span_eq(word, "kubepods"));

	if (!next_word(&rest, &word)) {
		enter_kubepods(w);
		w->parent = PARENT_OTHER;
		return true;
	}
	qos = qos_from(word);
	if (qos != KUBE_QOS_NONE && !next_word(&rest, &word)) {
		if (w->c.runtime != CONTAINER_RUNTIME_KUBEPODS || w->c.pod[0] || w->c.id[0])
			enter_kubepods(w);
		w->c.qos = qos;
		return true;
	}
	/* word is now "pod<uid>", the last one */
	if (rest.s || !span_has_prefix(word, "pod") || !is_pod_uid(span_skip(word, 3), '_'))
		return false;
	if (w->c.runtime != CONTAINER_RUNTIME_KUBEPODS || w->c.pod[0] || w->c.id[0])
		enter_kubepods(w);
	w->c.qos = qos != KUBE_QOS_NONE ? qos : KUBE_QOS_GUARANTEED;
	set_pod_uid(w, span_skip(word, 3));
	w->parent = PARENT_POD;
	return true;
}

/*
 * Podman's pod slice, systemdSliceFromPath(parent, "libpod_pod_<id>"):
 * machine-libpod_pod_<id>.slice, user-libpod_pod_<id>.slice when rootless.
 */
static bool match_podman_pod_slice(Walk *w, Span c)
{
	static const char tag[] = "libpod_pod_";
	const size_t tail = strlen(tag) + HEX_ID_LEN + strlen(".slice");

	if (c.n < tail || !span_has_suffix(c, ".slice"))
		return false;
	Span t = span_skip(c, c.n - tail);
	if (!span_has_prefix(t, tag) || (c.n > tail && c.s[c.n - tail - 1] != '-'))
		return false;
	Span id = { t.s + strlen(tag), HEX_ID_LEN };
	if (!is_hex_id(id))
		return false;
	enter_podman_pod(w, id);
	return true;
}

static void walk_component(Walk *w, Span c)
{
	Parent parent = w->parent;

	w->parent = PARENT_OTHER;

	/* Every unit counts, container scopes too: the innermost wins. */
	Span u = c.n > 0 && c.s[0] == '_' ? span_skip(c, 1) : c;
	if (is_unit_name(u))
		copy_span(w->c.unit, sizeof(w->c.unit), u);

	if (match_runtime_prefix(w, c) || match_kube_slice(w, c) || match_podman_pod_slice(w, c))
		return;

	if (is_hex_id(c)) {
		switch (parent) {
		case PARENT_DOCKER:
			enter_container(w, CONTAINER_RUNTIME_DOCKER, c, false);
			break;
		case PARENT_POD:
			enter_container(w, CONTAINER_RUNTIME_KUBEPODS, c, false);
			break;
		case PARENT_LIBPOD:
			enter_podman_pod(w, c);
			w->parent = PARENT_LIBPOD; /* its containers are libpod-<id> */
			break;
		default:
			enter_container(w, CONTAINER_RUNTIME_UNKNOWN, c, false);
			break;
		}
		return;
	}

	if (span_has_prefix(c, "lxc.payload.") && c.n > strlen("lxc.payload.")) {
		enter_container(w, CONTAINER_RUNTIME_LXC, span_skip(c, strlen("lxc.payload.")),
				false);
		return;
	}
	if (span_has_prefix(c, "lxc.monitor.") && c.n > strlen("lxc.monitor.")) {
		enter_container(w, CONTAINER_RUNTIME_LXC, span_skip(c, strlen("lxc.monitor.")),
				true);
		return;
	}

	switch (parent) {
	case PARENT_KUBEPODS:
		if (qos_from(c) != KUBE_QOS_NONE) {
			w->c.qos = qos_from(c);
			w->parent = PARENT_KUBE_QOS;
			return;
		}
		/* A Guaranteed pod sits directly below kubepods. */
		__attribute__((fallthrough));
	case PARENT_KUBE_QOS:
		if (span_has_prefix(c, "pod") && is_pod_uid(span_skip(c, 3), '-')) {
			if (w->c.qos == KUBE_QOS_NONE)
				w->c.qos = KUBE_QOS_GUARANTEED;
			set_pod_uid(w, span_skip(c, 3));
			w->parent = PARENT_POD;
			return;
		}
		break;
	case PARENT_LIBPOD:
		/* conmon of every container shares one cgroup: podman conmonCgroupfsPath() */
		if (span_eq(c, "conmon")) {
			enter_container(w, CONTAINER_RUNTIME_PODMAN, (Span){ c.s, 0 }, true);
			return;
		}
		break;
	case PARENT_LXC:
		enter_container(w, CONTAINER_RUNTIME_LXC, c, false);
		return;
	default:
		break;
	}

	if (span_eq(c, "kubepods")) {
		enter_kubepods(w);
		w->parent = PARENT_KUBEPODS;
	} else if (span_eq(c, "docker")) {
		w->parent = PARENT_DOCKER;
	} else if (span_eq(c, "libpod_parent")) {
		w->parent = PARENT_LIBPOD;
	} else if (span_eq(c, "lxc")) {
		w->parent = PARENT_LXC;
	}
}

int container_id_parse(const char *path, size_t len, ContainerId *ret)
{
	static const char deleted[] = " (deleted)";
	Walk w = { 0 };

	if (len == 0 || len >= PATH_MAX || path[0] != '/' || memchr(path, '\0', len) ||
	    memchr(path, '\n', len))
		return -EINVAL;
	if (len > strlen(deleted) &&
	    memcmp(path + len - strlen(deleted), deleted, strlen(deleted)) == 0) {
		len -= strlen(deleted);
		w.c.is_deleted = true;
	}

	const char *end = path + len;
	/* "/" is the root; otherwise every component is 1..NAME_MAX bytes, no trailing '/'. */
	for (const char *p = path + 1; len > 1;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		Span c = { p, (size_t)((slash ? slash : end) - p) };
		if (c.n == 0 || c.n > NAME_MAX)
			return -EINVAL;
		walk_component(&w, c);
		if (!slash)
			break;
		p = slash + 1;
	}

	if (w.c.runtime == CONTAINER_RUNTIME_NONE && w.c.unit[0])
		w.c.runtime = CONTAINER_RUNTIME_SYSTEMD;
	*ret = w.c;
	return 0;
}

const char *container_runtime_to_string(ContainerRuntime r)
{
	static const char *const names[_CONTAINER_RUNTIME_MAX] = {
		[CONTAINER_RUNTIME_NONE] = "none",
		[CONTAINER_RUNTIME_SYSTEMD] = "systemd",
		[CONTAINER_RUNTIME_KUBEPODS] = "kubepods",
		[CONTAINER_RUNTIME_DOCKER] = "docker",
		[CONTAINER_RUNTIME_CONTAINERD] = "containerd",
		[CONTAINER_RUNTIME_CRIO] = "cri-o",
		[CONTAINER_RUNTIME_PODMAN] = "podman",
		[CONTAINER_RUNTIME_LXC] = "lxc",
		[CONTAINER_RUNTIME_UNKNOWN] = "unknown",
	};
	return (unsigned)r < _CONTAINER_RUNTIME_MAX ? names[r] : "?";
}

const char *kube_qos_to_string(KubeQos q)
{
	static const char *const names[_KUBE_QOS_MAX] = {
		[KUBE_QOS_NONE] = "",
		[KUBE_QOS_GUARANTEED] = "guaranteed",
		[KUBE_QOS_BURSTABLE] = "burstable",
		[KUBE_QOS_BESTEFFORT] = "besteffort",
	};
	return (unsigned)q < _KUBE_QOS_MAX ? names[q] : "?";
}

/* snprintf at *off; once the buffer is full, further text is dropped. */
_printf_(4, 5) static void appendf(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[*off] = '\0';
	else
		*off = MIN(*off + (size_t)n, size - 1);
}

const char *container_id_short(const ContainerId *c, char *buf, size_t size)
{
	const char *rt = container_runtime_to_string(c->runtime);
	const char *sep = "";
	size_t off = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	switch (c->runtime) {
	case CONTAINER_RUNTIME_NONE:
		return buf;
	case CONTAINER_RUNTIME_SYSTEMD:
		appendf(buf, size, &off, "unit %s", c->unit);
		break;
	default:
		if (c->pod[0]) {
			/* As kubectl users see a UID's first group; Podman shows 12 like Docker. */
			int w = strnlen(c->pod, sizeof(c->pod)) == HEX_ID_LEN ? 12 : 8;
			appendf(buf, size, &off, "pod %.*s", w, c->pod);
			sep = "/";
		}
		if (c->runtime == CONTAINER_RUNTIME_LXC)
			appendf(buf, size, &off, "%slxc:%s", sep, c->id);
		else if (c->id[0] && c->runtime == CONTAINER_RUNTIME_KUBEPODS)
			appendf(buf, size, &off, "%s%.12s", sep, c->id);
		else if (c->id[0])
			appendf(buf, size, &off, "%s%s:%.12s", sep, rt, c->id);
		else if (c->runtime != CONTAINER_RUNTIME_KUBEPODS || !c->pod[0])
			appendf(buf, size, &off, "%s%s", sep, rt);
		if (c->runtime == CONTAINER_RUNTIME_KUBEPODS && !c->pod[0] && !c->id[0] &&
		    c->qos != KUBE_QOS_NONE)
			appendf(buf, size, &off, "/%s", kube_qos_to_string(c->qos));
		break;
	}
	if (c->is_monitor)
		appendf(buf, size, &off, " (monitor)");
	if (c->is_nested)
		appendf(buf, size, &off, " (nested)");
	if (c->is_deleted)
		appendf(buf, size, &off, " (deleted)");
	return buf;
}
