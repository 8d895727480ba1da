/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container identity from a cgroup path: which runtime made the cgroup, the
 * container's id, the Kubernetes pod (or Podman pod) and QoS class around it,
 * and the innermost systemd unit.  A pure function of the path's bytes, as
 * /proc/PID/cgroup shows it: it knows the names that Docker, containerd (CRI
 * and nerdctl), CRI-O, Podman, LXC and the kubelet give their cgroups under
 * the cgroupfs and systemd drivers, on cgroup v1 and v2; container-id.c says
 * where each shape comes from.  It never allocates and never reads past @len.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum ContainerRuntime {
	CONTAINER_RUNTIME_NONE, /* nothing recognised: "/", or a layout nobody documents */
	CONTAINER_RUNTIME_SYSTEMD, /* no container, but a systemd unit: see .unit */
	CONTAINER_RUNTIME_KUBEPODS, /* kubelet's tree, the CRI runtime not in the path (cgroupfs) */
	CONTAINER_RUNTIME_DOCKER,
	CONTAINER_RUNTIME_CONTAINERD, /* CRI plugin (cri-containerd-) or nerdctl */
	CONTAINER_RUNTIME_CRIO,
	CONTAINER_RUNTIME_PODMAN,
	CONTAINER_RUNTIME_LXC, /* .id is the container's name, not hex */
	CONTAINER_RUNTIME_UNKNOWN, /* a bare 64-hex cgroup below a parent nobody names */
	_CONTAINER_RUNTIME_MAX,
} ContainerRuntime;

typedef enum KubeQos {
	KUBE_QOS_NONE,
	KUBE_QOS_GUARANTEED, /* pod directly below kubepods: no QoS level in between */
	KUBE_QOS_BURSTABLE,
	KUBE_QOS_BESTEFFORT,
	_KUBE_QOS_MAX,
} KubeQos;

#define CONTAINER_ID_MAX 255 /* an LXC name is one cgroup name: NAME_MAX */
#define CONTAINER_POD_MAX 64 /* a Podman pod id; a kubelet pod UID is 36 or 32 */
#define CONTAINER_UNIT_MAX 255 /* systemd's UNIT_NAME_MAX (256) less the NUL */
#define CONTAINER_ID_SHORT_MAX 320 /* enough for any container_id_short() */

typedef struct ContainerId {
	ContainerRuntime runtime;
	KubeQos qos;
	/*
	 * The cgroup of the runtime's monitor for the container (conmon's
	 * crio-conmon-/libpod-conmon-, LXC's lxc.monitor.), not the container.
	 */
	bool is_monitor;
	/* Another container (or a kubepods tree) lies above the one reported. */
	bool is_nested;
	/* The path ended in " (deleted)": the cgroup is gone, its task a zombie. */
	bool is_deleted;
	/*
	 * The innermost container's id: 64 lowercase hex digits, except for
	 * CONTAINER_RUNTIME_LXC (the name).  "" when there is none.
	 */
	char id[CONTAINER_ID_MAX + 1];
	/*
	 * The innermost pod: a kubelet pod UID with dashes (36 characters, or 32
	 * hex digits for a static pod) or a Podman pod id (64 hex).  "" if none.
	 */
	char pod[CONTAINER_POD_MAX + 1];
	/* The innermost systemd unit or slice, unescaped: "nginx.service". "" if none. */
	char unit[CONTAINER_UNIT_MAX + 1];
} ContainerId;

/*
 * Identify the container of a cgroup path ("/system.slice/docker-<id>.scope").
 * Returns 0 (runtime NONE when nothing is recognised) or -EINVAL for what no
 * kernel writes: empty, not starting with '/', an empty or over-long
 * component, a NUL or a newline, @len >= PATH_MAX.  @ret is untouched on error.
 */
int container_id_parse(const char *path, size_t len, ContainerId *ret);

/* "docker", "containerd", "cri-o", "podman", "kubepods", "systemd", "lxc", ... */
const char *container_runtime_to_string(ContainerRuntime r);

/* "guaranteed", "burstable", "besteffort"; "" for KUBE_QOS_NONE. */
const char *kube_qos_to_string(KubeQos q);

/*
 * A one-cell summary for tables, truncated to fit @size (NUL-terminated when
 * @size > 0): "docker:3f4e5a6b7c8d", "pod 7b3e1c52/containerd:3f4e5a6b7c8d",
 * "pod 7b3e1c52/3f4e5a6b7c8d" (kubepods, runtime unknown), "lxc:web",
 * "unit nginx.service", with " (monitor)", " (nested)", " (deleted)" as they
 * apply; "" for CONTAINER_RUNTIME_NONE.  Returns @buf.
 */
const char *container_id_short(const ContainerId *c, char *buf, size_t size);
