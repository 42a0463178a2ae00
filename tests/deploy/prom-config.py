#!/usr/bin/python3
"""prom-config.py SCRAPE MANIFEST ADDRESS NODE DIR: a prometheus.yml in DIR
that runs SCRAPE's jobs (deploy/prometheus/numalens-scrape.yml) on the
DaemonSet's pod of MANIFEST as Kubernetes discovery would show it: the pod at
ADDRESS (its IP) on node NODE, with the pod's annotations, labels and
container ports as __meta_kubernetes_* labels (file_sd, DIR/pods.json).
Debian's Prometheus is built without Kubernetes discovery, so this is how
promtool and a real Prometheus check the job's relabeling here; the
kubernetes_sd_configs it replaces are checked in this script's check_sd.
Scrapes every second."""

import json
import re
import sys

import yaml

SD_ROLES = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}


def meta(name):
    """A Kubernetes label or annotation name as Prometheus's label name."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def check_sd(sd):
    """kubernetes_sd_configs as Prometheus 2.x reads them (the fields used)."""
    allowed = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata"}
    unknown = set(sd) - allowed
    if unknown:
        sys.exit(f"kubernetes_sd_configs: unknown fields {sorted(unknown)}")
    if sd.get("role") not in SD_ROLES:
        sys.exit(f"kubernetes_sd_configs: role {sd.get('role')!r} is not one of {sorted(SD_ROLES)}")
    ns = sd.get("namespaces", {})
    if set(ns) - {"names", "own_namespace"} or not all(isinstance(n, str) for n in ns.get("names", [])):
        sys.exit(f"kubernetes_sd_configs: bad namespaces {ns!r}")
    for sel in sd.get("selectors", []):
        if set(sel) - {"role", "label", "field"} or sel.get("role") not in SD_ROLES:
            sys.exit(f"kubernetes_sd_configs: bad selector {sel!r}")
    return ns.get("names", [])


def main():
    scrape, manifest, address, node, out = sys.argv[1:6]
    with open(scrape, encoding="utf-8") as f:
        jobs = yaml.safe_load(f)["scrape_configs"]
    with open(manifest, encoding="utf-8") as f:
        ds = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "DaemonSet"][0]
    tmpl = ds["spec"]["template"]
    namespace = ds["metadata"].get("namespace", "default")
    labels = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_pod_name": ds["metadata"]["name"] + "-test",
        "__meta_kubernetes_pod_node_name": node,
        "__meta_kubernetes_pod_phase": "Running",
        "__meta_kubernetes_pod_ip": address,
    }
    for k, v in tmpl["metadata"].get("labels", {}).items():
        labels["__meta_kubernetes_pod_label_" + meta(k)] = v
    for k, v in tmpl["metadata"].get("annotations", {}).items():
        labels["__meta_kubernetes_pod_annotation_" + meta(k)] = v
    groups = []
    # One target per container port, as the pod role makes them.
    for ctr in tmpl["spec"]["containers"]:
        for port in ctr.get("ports", []):
            groups.append({
                "targets": [f"{address}:{port['containerPort']}"],
                "labels": dict(labels, **{
                    "__meta_kubernetes_pod_container_name": ctr["name"],
                    "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                    "__meta_kubernetes_pod_container_port_number": str(port["containerPort"]),
                }),
            })
    with open(f"{out}/pods.json", "w", encoding="utf-8") as f:
        json.dump(groups, f, indent=1)
    for job in jobs:
        for sd in job.pop("kubernetes_sd_configs"):
            names = check_sd(sd)
            if names and namespace not in names:
                sys.exit(f"job {job['job_name']}: namespaces {names} miss the DaemonSet's {namespace}")
        job["file_sd_configs"] = [{"files": [f"{out}/pods.json"], "refresh_interval": "1s"}]
        job["scrape_interval"] = "1s"
        job["scrape_timeout"] = "1s"
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": jobs}
    with open(f"{out}/prometheus.yml", "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f, sort_keys=False)


if __name__ == "__main__":
    main()
