#!/usr/bin/python3
"""daemonset-podman.py MANIFEST [port]: the podman run options that run the
numalens container as MANIFEST's DaemonSet does (tests/deploy/t-container.sh),
one a line, then "--" and the container's args. Taken from the manifest so
that the test runs what ships: hostPID, the security context (privileged or
the capabilities, no privilege escalation, read-only root, user), the hostPath
mounts, the memory limit and the args. The runtime's seccomp profile is the
caller's: podman's RuntimeDefault is older than containerd's. With "port":
the container's first port only."""

import sys

import yaml


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    if len(ds) != 1:
        sys.exit(f"{sys.argv[1]}: {len(ds)} DaemonSets, expected one")
    pod = ds[0]["spec"]["template"]["spec"]
    if len(pod["containers"]) != 1:
        sys.exit("expected one container in the DaemonSet's pod")
    ctr = pod["containers"][0]
    if sys.argv[2:] == ["port"]:
        print(ctr["ports"][0]["containerPort"])
        return
    opts = []
    if pod.get("hostPID"):
        opts.append("--pid=host")
    if pod.get("hostNetwork"):
        opts.append("--network=host")
    sc = ctr.get("securityContext", {})
    if sc.get("privileged"):
        opts.append("--privileged")
    caps = sc.get("capabilities", {})
    opts += [f"--cap-drop={c}" for c in caps.get("drop", [])]
    opts += [f"--cap-add={c}" for c in caps.get("add", [])]
    if sc.get("allowPrivilegeEscalation") is False:
        opts.append("--security-opt=no-new-privileges")
    if sc.get("readOnlyRootFilesystem"):
        opts.append("--read-only")
    if "runAsUser" in sc:
        opts.append(f"--user={sc['runAsUser']}")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for m in ctr.get("volumeMounts", []):
        v = volumes[m["name"]]
        if "hostPath" not in v:
            sys.exit(f"volume {m['name']}: only hostPath volumes are run here")
        ro = ":ro" if m.get("readOnly") else ""
        opts.append(f"--volume={v['hostPath']['path']}:{m['mountPath']}{ro}")
    limit = ctr.get("resources", {}).get("limits", {}).get("memory")
    if limit:
        # Kubernetes' binary suffixes (Mi, Gi) as podman's (m, g: also 1024).
        opts.append("--memory=" + limit.replace("Ki", "k").replace("Mi", "m").replace("Gi", "g"))
    print("\n".join(opts))
    print("--")
    print("\n".join(ctr.get("args", [])))


if __name__ == "__main__":
    main()
