#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The DaemonSet manifest, read with a real YAML parser (python3-yaml).

  manifest.py check MANIFEST CAPABILITY_H   structural checks, one TAP-ish line each
  manifest.py pod-env MANIFEST              shell assignments describing the pod, for pod-view.sh

No Kubernetes schema validator is packaged in Debian 12 (kubeconform, kubectl), so `check` asserts
what this project relies on: the settings docs/KUBERNETES.md explains, and that the pieces which
must agree (ports, labels, names, volumes) do.
"""
import os
import re
import shlex
import sys

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(77)

fails = 0


def ok(cond, desc):
    global fails
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond:
        fails += 1


def load(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)
    return docs, by_kind


def one(by_kind, kind):
    items = by_kind.get(kind, [])
    return items[0] if len(items) == 1 else None


def container_of(ds):
    return ds["spec"]["template"]["spec"]["containers"][0]


def listen_port(args):
    for i, a in enumerate(args):
        if a == "--listen" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--listen="):
            return a.split("=", 1)[1]
    return None


def kernel_capabilities(header):
    with open(header, encoding="utf-8") as f:
        names = re.findall(r"^#define CAP_([A-Z_]+)\s+\d+\s*$", f.read(), re.M)
    return set(names) - {"LAST_CAP"}


def check(path, header):
    if not os.path.exists(header):
        print(f"SKIP: no {header} (linux-libc-dev) to name the kernel's capabilities")
        sys.exit(77)
    docs, by_kind = load(path)
    apis = {"Namespace": "v1", "ServiceAccount": "v1", "ResourceQuota": "v1",
            "DaemonSet": "apps/v1"}
    ok(sorted(d.get("kind") for d in docs) == sorted(apis),
       "the manifest holds exactly one Namespace, ServiceAccount, ResourceQuota and DaemonSet")
    for d in docs:
        ok(d.get("apiVersion") == apis.get(d.get("kind")),
           f"{d.get('kind')} has apiVersion {apis.get(d.get('kind'))}")
    ns, sa, rq, ds = (one(by_kind, k) for k in ("Namespace", "ServiceAccount", "ResourceQuota",
                                                 "DaemonSet"))
    if not (ns and sa and rq and ds):
        return
    name = ns["metadata"]["name"]
    for d in (sa, rq, ds):
        ok(d["metadata"].get("namespace") == name, f"{d['kind']} is in namespace {name}")
    ok(ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "privileged",
       "the namespace admits privileged pods (hostPID, hostPath)")
    ok(sa.get("automountServiceAccountToken") is False, "the ServiceAccount mounts no token")

    spec = ds["spec"]
    tmpl = spec["template"]
    pod = tmpl["spec"]
    sel = spec["selector"]["matchLabels"]
    ok(sel and all(tmpl["metadata"]["labels"].get(k) == v for k, v in sel.items()),
       "the DaemonSet's selector matches its pod template's labels")
    ok(pod.get("serviceAccountName") == sa["metadata"]["name"],
       "the pod runs as the ServiceAccount")
    ok(pod.get("automountServiceAccountToken") is False, "the pod mounts no token")
    ok(pod.get("hostPID") is True, "hostPID: true")
    ok(pod.get("hostNetwork", False) is False, "hostNetwork is false")
    ok(pod.get("hostIPC", False) is False, "hostIPC is false")
    ok({"operator": "Exists"} in pod.get("tolerations", []), "tolerates every taint")
    prio = pod.get("priorityClassName")
    ok(prio == "system-node-critical", "priorityClassName system-node-critical")
    scope = rq["spec"]["scopeSelector"]["matchExpressions"]
    ok(any(e.get("scopeName") == "PriorityClass" and prio in e.get("values", []) for e in scope),
       "the ResourceQuota admits the pod's priority class")

    ok(len(pod["containers"]) == 1 and not pod.get("initContainers"), "one container")
    c = container_of(ds)
    sc = c.get("securityContext", {})
    ok(sc.get("privileged") is False, "privileged: false")
    ok(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
    ok(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true")
    ok(sc.get("runAsUser") == 0 and sc.get("runAsNonRoot") is False, "runAsUser: 0")
    caps = sc.get("capabilities", {})
    add = caps.get("add", [])
    known = kernel_capabilities(header)
    ok(caps.get("drop") == ["ALL"], "capabilities: drop ALL")
    ok(add and len(add) == len(set(add)), "capabilities: add is a non-empty list without repeats")
    unknown = [a for a in add if a not in known]
    ok(not unknown, "capabilities: every added name is a kernel capability, without CAP_"
       + (" (not: " + ", ".join(unknown) + ")" if unknown else ""))
    ok(sc.get("seccompProfile", {}).get("type") in ("Unconfined", "Localhost"),
       "seccomp: Unconfined or Localhost (RuntimeDefault denies listmount before containerd 2.2)")
    ok(sc.get("appArmorProfile", {}).get("type") in ("Unconfined", "Localhost"),
       "AppArmor: Unconfined or Localhost (runtime profiles deny ptrace-read of host processes)")

    res = c.get("resources", {})
    for kind in ("cpu", "memory"):
        ok(kind in res.get("requests", {}), f"a {kind} request")
    ok("memory" in res.get("limits", {}), "a memory limit")

    args = c.get("args", [])
    listen = listen_port(args) or ""
    ports = {p.get("name"): p for p in c.get("ports", [])}
    port = ports.get("metrics", {}).get("containerPort")
    ann = tmpl["metadata"].get("annotations", {})
    ok(args[:1] == ["serve"], "the container runs `residue serve`")
    ok(listen == f"0.0.0.0:{port}", f"serve listens on the pod's addresses at port {port}")
    ok(ann.get("prometheus.io/scrape") == "true", "prometheus.io/scrape is the string \"true\"")
    ok(ann.get("prometheus.io/port") == str(port), "prometheus.io/port is the container port")
    ok(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path is /metrics")
    for probe in ("readinessProbe", "livenessProbe"):
        get = c.get(probe, {}).get("httpGet", {})
        ok(get.get("path") == "/healthz" and get.get("port") in ("metrics", port),
           f"{probe}: GET /healthz on the metrics port")

    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = c.get("volumeMounts", [])
    ok(vols and set(vols) == {m["name"] for m in mounts}, "every volume is mounted, and only those")
    for m in mounts:
        v = vols.get(m["name"], {})
        hp = v.get("hostPath", {}).get("path", "")
        ok(set(v) == {"name", "hostPath"} and hp.startswith("/"),
           f"volume {m['name']} is an absolute hostPath ({hp})")
        ok(m.get("readOnly") is True, f"{m['mountPath']} is mounted read-only")
        ok(m.get("recursiveReadOnly", "Disabled") in ("IfPossible", "Enabled"),
           f"{m['mountPath']} is read-only recursively where the runtime can")
        ok(m.get("mountPropagation", "None") == "None", f"{m['mountPath']}: no mount propagation")
        ok(not m.get("subPath") and not m.get("subPathExpr"), f"{m['mountPath']}: no subPath")


def pod_env(path):
    _, by_kind = load(path)
    ds = one(by_kind, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    c = container_of(ds)
    sc = c["securityContext"]
    vols = {v["name"]: v["hostPath"]["path"] for v in pod.get("volumes", []) if "hostPath" in v}
    out = {
        "POD_HOSTPID": "1" if pod.get("hostPID") else "0",
        "POD_CAPS": ",".join(sc["capabilities"]["add"]),
        # host:container:ro|rw, one per volume mount, in the manifest's order
        "POD_VOLUMES": " ".join(
            f"{vols[m['name']]}:{m['mountPath']}:{'ro' if m.get('readOnly') else 'rw'}"
            for m in c.get("volumeMounts", [])),
        "POD_ARGS": " ".join(c.get("args", [])),
        "POD_NO_NEW_PRIVS": "0" if sc.get("allowPrivilegeEscalation", True) else "1",
        "POD_READONLY_ROOT": "1" if sc.get("readOnlyRootFilesystem") else "0",
    }
    for k, v in out.items():
        print(f"{k}={shlex.quote(v)}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
        sys.exit(1 if fails else 0)
    if len(sys.argv) == 3 and sys.argv[1] == "pod-env":
        pod_env(sys.argv[2])
        sys.exit(0)
    sys.exit("usage: manifest.py check MANIFEST CAPABILITY_H | pod-env MANIFEST")


main()
