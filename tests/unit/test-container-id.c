// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for container_id_parse() and container_id_short(): one table
 * row per cgroup path shape of Docker, containerd, CRI-O, Podman, LXC, the
 * kubelet and systemd (container-id.c cites where each comes from), the
 * look-alikes that must not count as containers, malformed paths, reads
 * bounded by the length given, and the /proc/PID/cgroup samples of
 * tests/data/ run through parse_proc_cgroup() first, as the collector will.
 */
#include "tap.h"

#include <limits.h>

#include "base/container-id.h"
#include "base/macro.h"
#include "base/procfmt.h"

/* The ids of tests/data/README.md, and more made the same way (sha256 of a fixed string). */
#define D "eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca880"
#define D2 "f7bf2cfd4da310bad8fa9eb12eb4c1e795056c358782c68100cfb6bf546b1c4f"
#define K "77d254b37b10c4776c1ca7c19c255acfcc58e855e5d4cc67bfe4262432f56e45"
#define C "0f06932ad38131572f69f138b666c9850fda4c790779f361a7317cc3a77759b4"
#define N "1210069608f48f5503d2cf6a169542719d2ca990dac29c2fbe725ffe879ef7da"
#define P "81258dfef50024abf31346370d72c9b55bdefda800ff14659a0e927eecaacdaf"
#define PP "6ae901683f34b6afba555aa8e63c472050311b2a73690faf6f37fc279110c150"
#define PP63 "6ae901683f34b6afba555aa8e63c472050311b2a73690faf6f37fc279110c15" /* one short */
#define POD "7b3e1c52-2f1d-4c5e-9a0b-3d6f8e2a1c40"
#define POD_ "7b3e1c52_2f1d_4c5e_9a0b_3d6f8e2a1c40"
#define STATIC_POD "a1b37503baa26433bf3290606d8378e5" /* md5, as for a static pod */
#define ROOTLESS "/user.slice/user-1000.slice/user@1000.service/user.slice"
#define KUBE_BU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_ ".slice"
#define KUBE_BE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_ ".slice"

enum {
	F_MONITOR = 1 << 0,
	F_NESTED = 1 << 1,
	F_DELETED = 1 << 2,
};

typedef struct Case {
	const char *path;
	ContainerRuntime runtime;
	const char *id, *pod;
	KubeQos qos;
	const char *unit;
	unsigned flags;
	const char *shown; /* container_id_short() */
} Case;

#define R(x) CONTAINER_RUNTIME_##x
#define Q(x) KUBE_QOS_##x

static const Case shapes[] = {
	/* host */
	{ "/", R(NONE), "", "", Q(NONE), "", 0, "" },
	/* Docker: cgroupfs, systemd, rootless, nested, systemd inside the container */
	{ "/docker/" D, R(DOCKER), D, "", Q(NONE), "", 0, "docker:eeb44e2a8429" },
	{ "/system.slice/docker-" D ".scope", R(DOCKER), D, "", Q(NONE), "docker-" D ".scope", 0,
	  "docker:eeb44e2a8429" },
	{ ROOTLESS "/docker-" D ".scope", R(DOCKER), D, "", Q(NONE), "docker-" D ".scope", 0,
	  "docker:eeb44e2a8429" },
	{ "/docker/" D "/docker/" D2, R(DOCKER), D2, "", Q(NONE), "", F_NESTED,
	  "docker:f7bf2cfd4da3 (nested)" },
	{ "/docker/" D "/init.scope", R(DOCKER), D, "", Q(NONE), "init.scope", 0,
	  "docker:eeb44e2a8429" },
	{ "/system.slice/docker-" D ".scope/system.slice/nginx.service", R(DOCKER), D, "", Q(NONE),
	  "nginx.service", 0, "docker:eeb44e2a8429" },
	{ "/system.slice/docker-" D ".scope (deleted)", R(DOCKER), D, "", Q(NONE),
	  "docker-" D ".scope", F_DELETED, "docker:eeb44e2a8429 (deleted)" },
	/* kubelet, cgroupfs: the CRI runtime is not in the path (containerd, cri-dockerd) */
	{ "/kubepods/burstable/pod" POD "/" K, R(KUBEPODS), K, POD, Q(BURSTABLE), "", 0,
	  "pod 7b3e1c52/77d254b37b10" },
	{ "/kubepods/besteffort/pod" POD "/" K, R(KUBEPODS), K, POD, Q(BESTEFFORT), "", 0,
	  "pod 7b3e1c52/77d254b37b10" },
	{ "/kubepods/pod" POD "/" K, R(KUBEPODS), K, POD, Q(GUARANTEED), "", 0,
	  "pod 7b3e1c52/77d254b37b10" },
	{ "/kubepods/burstable/pod" STATIC_POD "/" K, R(KUBEPODS), K, STATIC_POD, Q(BURSTABLE), "",
	  0, "pod a1b37503/77d254b37b10" },
	{ "/kubepods/burstable/pod" POD, R(KUBEPODS), "", POD, Q(BURSTABLE), "", 0,
	  "pod 7b3e1c52" },
	{ "/kubepods/burstable", R(KUBEPODS), "", "", Q(BURSTABLE), "", 0, "kubepods/burstable" },
	{ "/kubepods", R(KUBEPODS), "", "", Q(NONE), "", 0, "kubepods" },
	/* CRI-O, cgroupfs (container, conmon, and its default parent) */
	{ "/kubepods/besteffort/pod" POD "/crio-" C, R(CRIO), C, POD, Q(BESTEFFORT), "", 0,
	  "pod 7b3e1c52/cri-o:0f06932ad381" },
	{ "/kubepods/besteffort/pod" POD "/crio-conmon-" C, R(CRIO), C, POD, Q(BESTEFFORT), "",
	  F_MONITOR, "pod 7b3e1c52/cri-o:0f06932ad381 (monitor)" },
	{ "/crio/crio-" C, R(CRIO), C, "", Q(NONE), "", 0, "cri-o:0f06932ad381" },
	/* kubelet, systemd: containerd, CRI-O, docker; every QoS class */
	{ KUBE_BU "/cri-containerd-" K ".scope", R(CONTAINERD), K, POD, Q(BURSTABLE),
	  "cri-containerd-" K ".scope", 0, "pod 7b3e1c52/containerd:77d254b37b10" },
	{ KUBE_BE "/cri-containerd-" K ".scope", R(CONTAINERD), K, POD, Q(BESTEFFORT),
	  "cri-containerd-" K ".scope", 0, "pod 7b3e1c52/containerd:77d254b37b10" },
	{ "/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-" K ".scope", R(CONTAINERD), K,
	  POD, Q(GUARANTEED), "cri-containerd-" K ".scope", 0,
	  "pod 7b3e1c52/containerd:77d254b37b10" },
	{ KUBE_BE "/crio-" C ".scope", R(CRIO), C, POD, Q(BESTEFFORT), "crio-" C ".scope", 0,
	  "pod 7b3e1c52/cri-o:0f06932ad381" },
	{ KUBE_BE "/crio-" C ".scope/container", R(CRIO), C, POD, Q(BESTEFFORT), "crio-" C ".scope",
	  0, "pod 7b3e1c52/cri-o:0f06932ad381" },
	{ KUBE_BE "/crio-conmon-" C ".scope", R(CRIO), C, POD, Q(BESTEFFORT),
	  "crio-conmon-" C ".scope", F_MONITOR, "pod 7b3e1c52/cri-o:0f06932ad381 (monitor)" },
	/* CRI-O's infra cgroup: a cgroupfs directory inside the pod slice */
	{ KUBE_BE "/crio-" C, R(CRIO), C, POD, Q(BESTEFFORT),
	  "kubepods-besteffort-pod" POD_ ".slice", 0, "pod 7b3e1c52/cri-o:0f06932ad381" },
	{ "/system.slice/crio-conmon-" C ".scope", R(CRIO), C, "", Q(NONE),
	  "crio-conmon-" C ".scope", F_MONITOR, "cri-o:0f06932ad381 (monitor)" },
	{ KUBE_BU "/docker-" D ".scope", R(DOCKER), D, POD, Q(BURSTABLE), "docker-" D ".scope", 0,
	  "pod 7b3e1c52/docker:eeb44e2a8429" },
	{ KUBE_BE, R(KUBEPODS), "", POD, Q(BESTEFFORT), "kubepods-besteffort-pod" POD_ ".slice", 0,
	  "pod 7b3e1c52" },
	{ "/kubepods.slice/kubepods-burstable.slice", R(KUBEPODS), "", "", Q(BURSTABLE),
	  "kubepods-burstable.slice", 0, "kubepods/burstable" },
	{ "/kubepods.slice", R(KUBEPODS), "", "", Q(NONE), "kubepods.slice", 0, "kubepods" },
	/* --cgroup-root=/kubelet adds a word in front of every slice */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" POD_ ".slice/cri-containerd-" K ".scope",
	  R(CONTAINERD), K, POD, Q(BESTEFFORT), "cri-containerd-" K ".scope", 0,
	  "pod 7b3e1c52/containerd:77d254b37b10" },
	/* kind: a node in a Docker container, the pods inside it */
	{ "/system.slice/docker-" D ".scope/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" POD_ ".slice/"
	  "cri-containerd-" K ".scope",
	  R(CONTAINERD), K, POD, Q(BURSTABLE), "cri-containerd-" K ".scope", F_NESTED,
	  "pod 7b3e1c52/containerd:77d254b37b10 (nested)" },
	{ "/docker/" D "/kubepods/besteffort/pod" POD "/" K, R(KUBEPODS), K, POD, Q(BESTEFFORT), "",
	  F_NESTED, "pod 7b3e1c52/77d254b37b10 (nested)" },
	/* Docker inside a pod */
	{ "/kubepods/besteffort/pod" POD "/" K "/docker/" D, R(DOCKER), D, POD, Q(BESTEFFORT), "",
	  F_NESTED, "pod 7b3e1c52/docker:eeb44e2a8429 (nested)" },
	/* read from inside a cgroup namespace: the slice names carry the path */
	{ "/../../kubepods-burstable-pod" POD_ ".slice/cri-containerd-" K ".scope", R(CONTAINERD),
	  K, POD, Q(BURSTABLE), "cri-containerd-" K ".scope", 0,
	  "pod 7b3e1c52/containerd:77d254b37b10" },
	/* containerd without the kubelet */
	{ "/system.slice/nerdctl-" N ".scope", R(CONTAINERD), N, "", Q(NONE), "nerdctl-" N ".scope",
	  0, "containerd:1210069608f4" },
	{ "/default/" N, R(UNKNOWN), N, "", Q(NONE), "", 0, "unknown:1210069608f4" },
	/* Podman: root, conmon, crun's sub-cgroup, rootless, pods, cgroupfs, split mode */
	{ "/machine.slice/libpod-" P ".scope", R(PODMAN), P, "", Q(NONE), "libpod-" P ".scope", 0,
	  "podman:81258dfef500" },
	{ "/machine.slice/libpod-" P ".scope/container", R(PODMAN), P, "", Q(NONE),
	  "libpod-" P ".scope", 0, "podman:81258dfef500" },
	{ "/machine.slice/libpod-conmon-" P ".scope", R(PODMAN), P, "", Q(NONE),
	  "libpod-conmon-" P ".scope", F_MONITOR, "podman:81258dfef500 (monitor)" },
	{ ROOTLESS "/libpod-" P ".scope", R(PODMAN), P, "", Q(NONE), "libpod-" P ".scope", 0,
	  "podman:81258dfef500" },
	{ ROOTLESS "/libpod-" P ".scope/container", R(PODMAN), P, "", Q(NONE), "libpod-" P ".scope",
	  0, "podman:81258dfef500" },
	{ ROOTLESS "/libpod-conmon-" P ".scope", R(PODMAN), P, "", Q(NONE),
	  "libpod-conmon-" P ".scope", F_MONITOR, "podman:81258dfef500 (monitor)" },
	{ "/machine.slice/machine-libpod_pod_" PP ".slice/libpod-" P ".scope", R(PODMAN), P, PP,
	  Q(NONE), "libpod-" P ".scope", 0, "pod 6ae901683f34/podman:81258dfef500" },
	{ ROOTLESS "/user-libpod_pod_" PP ".slice/libpod-" P ".scope/container", R(PODMAN), P, PP,
	  Q(NONE), "libpod-" P ".scope", 0, "pod 6ae901683f34/podman:81258dfef500" },
	{ "/machine.slice/machine-libpod_pod_" PP ".slice", R(PODMAN), "", PP, Q(NONE),
	  "machine-libpod_pod_" PP ".slice", 0, "pod 6ae901683f34/podman" },
	{ "/libpod_parent/libpod-" P, R(PODMAN), P, "", Q(NONE), "", 0, "podman:81258dfef500" },
	{ "/libpod_parent/" PP "/libpod-" P, R(PODMAN), P, PP, Q(NONE), "", 0,
	  "pod 6ae901683f34/podman:81258dfef500" },
	{ "/libpod_parent/conmon", R(PODMAN), "", "", Q(NONE), "", F_MONITOR, "podman (monitor)" },
	{ "/libpod_parent/" PP "/conmon", R(PODMAN), "", PP, Q(NONE), "", F_MONITOR,
	  "pod 6ae901683f34/podman (monitor)" },
	{ "/system.slice/app.service/libpod-payload-" P, R(PODMAN), P, "", Q(NONE), "app.service",
	  0, "podman:81258dfef500" },
	/* LXC >= 4 (and LXD), LXC < 4 */
	{ "/lxc.payload.web1", R(LXC), "web1", "", Q(NONE), "", 0, "lxc:web1" },
	{ "/lxc.payload.web1/init.scope", R(LXC), "web1", "", Q(NONE), "init.scope", 0,
	  "lxc:web1" },
	{ "/lxc.monitor.web1", R(LXC), "web1", "", Q(NONE), "", F_MONITOR, "lxc:web1 (monitor)" },
	{ "/lxc.payload.default_web", R(LXC), "default_web", "", Q(NONE), "", 0,
	  "lxc:default_web" },
	{ "/lxc/web1", R(LXC), "web1", "", Q(NONE), "", 0, "lxc:web1" },
	/* plain systemd */
	{ "/system.slice/nginx.service", R(SYSTEMD), "", "", Q(NONE), "nginx.service", 0,
	  "unit nginx.service" },
	{ "/system.slice/containerd.service", R(SYSTEMD), "", "", Q(NONE), "containerd.service", 0,
	  "unit containerd.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", R(SYSTEMD), "", "", Q(NONE),
	  "session-3.scope", 0, "unit session-3.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-gnome-org.gnome.Terminal.slice/vte-spawn-1.scope",
	  R(SYSTEMD), "", "", Q(NONE), "vte-spawn-1.scope", 0, "unit vte-spawn-1.scope" },
	{ "/init.scope", R(SYSTEMD), "", "", Q(NONE), "init.scope", 0, "unit init.scope" },
	{ "/user.slice", R(SYSTEMD), "", "", Q(NONE), "user.slice", 0, "unit user.slice" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", R(SYSTEMD), "", "", Q(NONE),
	  "getty@tty1.service", 0, "unit getty@tty1.service" },
	{ "/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-vda1.service", R(SYSTEMD),
	  "", "", Q(NONE), "systemd-fsck@dev-vda1.service", 0,
	  "unit systemd-fsck@dev-vda1.service" },
	/* cg_escape() prefixes '_' to names that could clash with kernel files */
	{ "/system.slice/_cpu.service", R(SYSTEMD), "", "", Q(NONE), "cpu.service", 0,
	  "unit cpu.service" },
	{ "/system.slice/nginx.service (deleted)", R(SYSTEMD), "", "", Q(NONE), "nginx.service",
	  F_DELETED, "unit nginx.service (deleted)" },
	/* the capture of this machine: a 32-hex name is no container */
	{ "/process_api/a1ed079c18f8c79cd2c8463c7590ecd9", R(NONE), "", "", Q(NONE), "", 0, "" },
};

/* Look-alikes: valid cgroup paths (rc 0) that must not yield a container id. */
static const Case lookalikes[] = {
	{ "/docker/"
	  "eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca88",
	  R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/docker/" D "0", R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/docker/"
	  "EEB44E2A84296554F5B8373F2B28345CEF4C9E6781A435C786268971B33CA880",
	  R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/docker/"
	  "eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca88g",
	  R(NONE), "", "", Q(NONE), "", 0, "" },
	/* "docker-" is a systemd scope; without ".scope" it is nobody's */
	{ "/docker-" D, R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/system.slice/docker-" D, R(SYSTEMD), "", "", Q(NONE), "system.slice", 0,
	  "unit system.slice" },
	/* truncated, uppercase, non-hex, extra characters: just a unit */
	{ "/system.slice/docker-"
	  "eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca88"
	  ".scope",
	  R(SYSTEMD), "", "", Q(NONE),
	  "docker-eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca88.scope", 0,
	  "unit docker-eeb44e2a84296554f5b8373f2b28345cef4c9e6781a435c786268971b33ca88.scope" },
	{ "/system.slice/docker-"
	  "EEB44E2A84296554F5B8373F2B28345CEF4C9E6781A435C786268971B33CA880"
	  ".scope",
	  R(SYSTEMD), "", "", Q(NONE),
	  "docker-EEB44E2A84296554F5B8373F2B28345CEF4C9E6781A435C786268971B33CA880.scope", 0,
	  "unit docker-EEB44E2A84296554F5B8373F2B28345CEF4C9E6781A435C786268971B33CA880.scope" },
	{ "/system.slice/xdocker-" D ".scope", R(SYSTEMD), "", "", Q(NONE), "xdocker-" D ".scope",
	  0, "unit xdocker-" D ".scope" },
	{ "/system.slice/docker--" D ".scope", R(SYSTEMD), "", "", Q(NONE), "docker--" D ".scope",
	  0, "unit docker--" D ".scope" },
	{ "/system.slice/docker-" D ".scope.bak", R(SYSTEMD), "", "", Q(NONE), "system.slice", 0,
	  "unit system.slice" },
	/* cgroupfs directories that only exist as scopes, and vice versa */
	{ "/cri-containerd-" K, R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/libpod-conmon-" P, R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/libpod-payload-" P ".scope", R(SYSTEMD), "", "", Q(NONE), "libpod-payload-" P ".scope",
	  0, "unit libpod-payload-" P ".scope" },
	/* a pod UID must be lowercase, in its driver's spelling */
	{ "/kubepods/burstable/pod7B3E1C52-2F1D-4C5E-9A0B-3D6F8E2A1C40", R(KUBEPODS), "", "",
	  Q(BURSTABLE), "", 0, "kubepods/burstable" },
	{ "/kubepods/burstable/pod" POD_, R(KUBEPODS), "", "", Q(BURSTABLE), "", 0,
	  "kubepods/burstable" },
	{ "/kubepods/burstable/pod7b3e1c52-2f1d-4c5e-9a0b-3d6f8e2a1c4", R(KUBEPODS), "", "",
	  Q(BURSTABLE), "", 0, "kubepods/burstable" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD ".slice",
	  R(KUBEPODS), "", "", Q(BURSTABLE), "kubepods-burstable-pod" POD ".slice", 0,
	  "kubepods/burstable" },
	/* a pod only right below kubepods or its QoS level */
	{ "/other/pod" POD, R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/kubepods/burstable/x/pod" POD, R(KUBEPODS), "", "", Q(BURSTABLE), "", 0,
	  "kubepods/burstable" },
	{ "/kubepods-nosuchqos-pod" POD_ ".slice", R(SYSTEMD), "", "", Q(NONE),
	  "kubepods-nosuchqos-pod" POD_ ".slice", 0, "unit kubepods-nosuchqos-pod" POD_ ".slice" },
	{ "/kubepods-burstable-pod" POD_ "-x.slice", R(SYSTEMD), "", "", Q(NONE),
	  "kubepods-burstable-pod" POD_ "-x.slice", 0,
	  "unit kubepods-burstable-pod" POD_ "-x.slice" },
	/* Podman pod ids are 64 hex too */
	{ "/machine.slice/machine-libpod_pod_" PP63 ".slice", R(SYSTEMD), "", "", Q(NONE),
	  "machine-libpod_pod_" PP63 ".slice", 0, "unit machine-libpod_pod_" PP63 ".slice" },
	{ "/machine.slice/machinexlibpod_pod_" PP ".slice", R(SYSTEMD), "", "", Q(NONE),
	  "machinexlibpod_pod_" PP ".slice", 0, "unit machinexlibpod_pod_" PP ".slice" },
	/* LXC needs a name */
	{ "/lxc.payload.", R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/lxc", R(NONE), "", "", Q(NONE), "", 0, "" },
	/* not units: no type suffix, a character systemd refuses, nothing before the suffix */
	{ "/system.slice/foo.timer", R(SYSTEMD), "", "", Q(NONE), "system.slice", 0,
	  "unit system.slice" },
	{ "/system.slice/foo bar.service", R(SYSTEMD), "", "", Q(NONE), "system.slice", 0,
	  "unit system.slice" },
	{ "/.service", R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/_", R(NONE), "", "", Q(NONE), "", 0, "" },
	/* " (deleted)" only as the suffix */
	{ "/a (deleted)/b", R(NONE), "", "", Q(NONE), "", 0, "" },
	{ "/..", R(NONE), "", "", Q(NONE), "", 0, "" },
};

static void check_case(const Case *t)
{
	ContainerId c;
	char shown[CONTAINER_ID_SHORT_MAX];
	size_t len = strlen(t->path);
	char *buf = tap_dup(t->path, len);
	unsigned failed = tap_failed_checks;

	if (CHECK_EQ_INT(container_id_parse(buf, len, &c), 0)) {
		CHECK_STREQ(container_runtime_to_string(c.runtime),
			    container_runtime_to_string(t->runtime));
		CHECK_STREQ(c.id, t->id);
		CHECK_STREQ(c.pod, t->pod);
		CHECK_STREQ(kube_qos_to_string(c.qos), kube_qos_to_string(t->qos));
		CHECK_STREQ(c.unit, t->unit);
		CHECK_EQ_INT(c.is_monitor, !!(t->flags & F_MONITOR));
		CHECK_EQ_INT(c.is_nested, !!(t->flags & F_NESTED));
		CHECK_EQ_INT(c.is_deleted, !!(t->flags & F_DELETED));
		CHECK_STREQ(container_id_short(&c, shown, sizeof(shown)), t->shown);
	}
	if (tap_failed_checks != failed)
		printf("#   path: \"%s\"\n", t->path);
	free(buf);
}

static void test_shapes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		check_case(&shapes[i]);
}

static void test_lookalikes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(lookalikes); i++)
		check_case(&lookalikes[i]);
}

/* -EINVAL, and the output left alone. */
static void expect_einval(const char *path, size_t len)
{
	ContainerId c, before;
	char *buf = tap_dup(path, len);

	memset(&c, 0x5a, sizeof(c));
	before = c;
	if (!CHECK_EQ_INT(container_id_parse(buf, len, &c), -EINVAL))
		printf("#   path: \"%.*s\" (%zu bytes)\n", (int)len, path, len);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	free(buf);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"docker/" D,
		"system.slice/nginx.service",
		"//",
		"/docker/",
		"/docker//" D,
		"/system.slice/docker-" D ".scope/",
		"/a\nb",
		"/system.slice/docker-" D ".scope\n",
		" (deleted)",
	};
	char longname[300], longpath[PATH_MAX + 2];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_einval(bad[i], strlen(bad[i]));

	/* One component of NAME_MAX + 1 bytes; NAME_MAX itself is fine. */
	longname[0] = '/';
	memset(longname + 1, 'a', 256);
	expect_einval(longname, 257);
	{
		ContainerId c;
		char *b = tap_dup(longname, 256);
		CHECK_EQ_INT(container_id_parse(b, 256, &c), 0);
		free(b);
	}

	/* A path of PATH_MAX bytes cannot come from the kernel. */
	for (size_t i = 0; i < sizeof(longpath); i++)
		longpath[i] = i % 100 == 0 ? '/' : 'a';
	expect_einval(longpath, PATH_MAX);
	{
		ContainerId c;
		char *b = tap_dup(longpath, PATH_MAX - 1);
		CHECK_EQ_INT(container_id_parse(b, PATH_MAX - 1, &c), 0);
		free(b);
	}

	/* An embedded NUL anywhere, even where a C string would end early. */
	{
		static const char s[] = "/docker/" D;
		char copy[sizeof(s)];
		for (size_t at = 0; at < sizeof(s) - 1; at++) {
			memcpy(copy, s, sizeof(s));
			copy[at] = '\0';
			expect_einval(copy, sizeof(s) - 1);
		}
	}
}

/*
 * Every prefix of a path, each in a buffer of exactly its length: ASan sees
 * any read past it, and no prefix may yield the id of the whole path.
 */
static void test_length_bounds(void)
{
	static const char *const paths[] = {
		"/system.slice/docker-" D ".scope (deleted)",
		KUBE_BU "/cri-containerd-" K ".scope",
		"/kubepods/burstable/pod" POD "/" K,
		"/machine.slice/machine-libpod_pod_" PP ".slice/libpod-conmon-" P ".scope",
		"/lxc.payload.web1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		size_t full = strlen(paths[i]);
		ContainerId whole;

		if (!CHECK_EQ_INT(container_id_parse(paths[i], full, &whole), 0))
			continue;
		for (size_t len = 0; len < full; len++) {
			char *b = tap_dup(paths[i], len);
			ContainerId c;
			int r = container_id_parse(b, len, &c);

			if (len == 0 || (len > 1 && b[len - 1] == '/')) {
				CHECK_EQ_INT(r, -EINVAL);
			} else if (CHECK_EQ_INT(r, 0) && whole.runtime != CONTAINER_RUNTIME_LXC) {
				if (!CHECK(strcmp(c.id, whole.id) != 0 ||
					   c.is_deleted != whole.is_deleted))
					printf("#   %s at %zu\n", paths[i], len);
			}
			free(b);
		}
	}

	/* A shorter @len than the string: the NUL-terminated rest is not read. */
	{
		static const char s[] = "/system.slice/docker-" D ".scope";
		ContainerId c;
		CHECK_EQ_INT(container_id_parse(s, sizeof(s) - 2, &c), 0);
		CHECK_EQ_INT(c.runtime, CONTAINER_RUNTIME_SYSTEMD);
		CHECK_STREQ(c.id, "");
		CHECK_STREQ(c.unit, "system.slice");
		CHECK_EQ_INT(container_id_parse(s, sizeof(s) - 1 - strlen(".scope"), &c), 0);
		CHECK_STREQ(c.id, "");
		CHECK_EQ_INT(container_id_parse(s, sizeof(s) - 1, &c), 0);
		CHECK_STREQ(c.id, D);
	}
}

/* container_id_short() truncates to any size and always terminates. */
static void test_short_truncation(void)
{
	static const char s[] = KUBE_BU "/crio-conmon-" C ".scope (deleted)";
	ContainerId c;
	char full[CONTAINER_ID_SHORT_MAX], buf[CONTAINER_ID_SHORT_MAX];

	if (!CHECK_EQ_INT(container_id_parse(s, sizeof(s) - 1, &c), 0))
		return;
	container_id_short(&c, full, sizeof(full));
	CHECK_STREQ(full, "pod 7b3e1c52/cri-o:0f06932ad381 (monitor) (deleted)");
	for (size_t size = 1; size <= strlen(full) + 1; size++) {
		memset(buf, 'x', sizeof(buf));
		CHECK(container_id_short(&c, buf, size) == buf);
		CHECK_EQ_U64(strlen(buf), size - 1);
		CHECK(strncmp(buf, full, size - 1) == 0);
		CHECK(buf[size] == 'x');
	}
	/* size 0 writes nothing */
	buf[0] = 'x';
	container_id_short(&c, buf, 0);
	CHECK(buf[0] == 'x');

	/* The longest forms fit CONTAINER_ID_SHORT_MAX. */
	{
		char name[300] = "/lxc.monitor.";
		size_t n = strlen(name);
		memset(name + n, 'n', NAME_MAX - strlen("lxc.monitor."));
		strcpy(name + n + NAME_MAX - strlen("lxc.monitor."), " (deleted)");
		if (CHECK_EQ_INT(container_id_parse(name, strlen(name), &c), 0)) {
			c.is_nested = true;
			container_id_short(&c, buf, sizeof(buf));
			CHECK_EQ_U64(strlen(buf), strlen("lxc:") + NAME_MAX -
							  strlen("lxc.monitor.") +
							  strlen(" (monitor) (nested) (deleted)"));
		}
	}
}

static void test_strings(void)
{
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_NONE), "none");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_SYSTEMD), "systemd");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_KUBEPODS), "kubepods");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_DOCKER), "docker");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_CONTAINERD), "containerd");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_CRIO), "cri-o");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_PODMAN), "podman");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_LXC), "lxc");
	CHECK_STREQ(container_runtime_to_string(CONTAINER_RUNTIME_UNKNOWN), "unknown");
	CHECK_STREQ(container_runtime_to_string(_CONTAINER_RUNTIME_MAX), "?");
	CHECK_STREQ(container_runtime_to_string((ContainerRuntime)-1), "?");
	CHECK_STREQ(kube_qos_to_string(KUBE_QOS_NONE), "");
	CHECK_STREQ(kube_qos_to_string(KUBE_QOS_GUARANTEED), "guaranteed");
	CHECK_STREQ(kube_qos_to_string(KUBE_QOS_BURSTABLE), "burstable");
	CHECK_STREQ(kube_qos_to_string(KUBE_QOS_BESTEFFORT), "besteffort");
	CHECK_STREQ(kube_qos_to_string(_KUBE_QOS_MAX), "?");
}

/* The /proc/PID/cgroup samples, through parse_proc_cgroup() as the collector does. */
static void test_captured(void)
{
	static const struct {
		const char *file;
		ContainerRuntime runtime;
		const char *id, *pod, *unit;
		KubeQos qos;
	} files[] = {
		{ "cgroup-self.txt", R(NONE), "", "", "", Q(NONE) },
		{ "cgroup-init.txt", R(NONE), "", "", "", Q(NONE) },
		{ "cgroup-docker-v2-systemd.txt", R(DOCKER), D, "", "docker-" D ".scope", Q(NONE) },
		{ "cgroup-docker-v2-cgroupns.txt", R(NONE), "", "", "", Q(NONE) },
		{ "cgroup-docker-v1-cgroupfs.txt", R(DOCKER), D, "", "", Q(NONE) },
		{ "cgroup-kubepods-v1-cgroupfs.txt", R(KUBEPODS), K, POD, "", Q(BURSTABLE) },
		{ "cgroup-kubepods-v1-systemd.txt", R(CONTAINERD), K, POD,
		  "cri-containerd-" K ".scope", Q(BESTEFFORT) },
		{ "cgroup-kubepods-v2-systemd.txt", R(CONTAINERD), K, POD,
		  "cri-containerd-" K ".scope", Q(BESTEFFORT) },
		{ "cgroup-podman-rootless-v2.txt", R(PODMAN), P, "", "libpod-" P ".scope",
		  Q(NONE) },
		{ "cgroup-legacy-no-memory.txt", R(SYSTEMD), "", "", "session-2.scope", Q(NONE) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t len;
		char *buf = tap_data(files[i].file, &len);
		char *path = NULL;
		ContainerId c;

		printf("# %s\n", files[i].file);
		if (CHECK_EQ_INT(parse_proc_cgroup(buf, len, &path), 0) &&
		    CHECK_EQ_INT(container_id_parse(path, strlen(path), &c), 0)) {
			CHECK_STREQ(container_runtime_to_string(c.runtime),
				    container_runtime_to_string(files[i].runtime));
			CHECK_STREQ(c.id, files[i].id);
			CHECK_STREQ(c.pod, files[i].pod);
			CHECK_STREQ(c.unit, files[i].unit);
			CHECK_EQ_INT(c.qos, files[i].qos);
			CHECK(!c.is_monitor && !c.is_nested && !c.is_deleted);
		}
		free(path);
		free(buf);
	}
}

int main(int argc, char **argv)
{
	tap_init(argc, argv);
	RUN(test_shapes);
	RUN(test_lookalikes);
	RUN(test_malformed);
	RUN(test_length_bounds);
	RUN(test_short_truncation);
	RUN(test_strings);
	RUN(test_captured);
	return tap_done();
}
