#!/usr/bin/python3
"""k8s-validate.py FILE...: checks Kubernetes manifests against the API
schema without a cluster (kubectl's --validate needs one to fetch OpenAPI
from), using the model classes of python3-kubernetes: every field known to
its object's type (no misspelled or misplaced field), of the right type,
the required ones present, apiVersion and kind a pair the API serves. Also
the values the API server would refuse (a few enums, label syntax,
capability names) and, in a pod template, the references between fields.
The Prometheus Operator's PodMonitor, a CRD, is checked against the part of
its schema written here. Prints each problem as FILE: DOC N (KIND NAME):
PATH: WHAT; exit status 1 when there is one.

python3-kubernetes's models are one Kubernetes release's (22.6: 1.22): a
field added later reads as unknown, and quantities (resources) must be
strings here, as they always can be."""

import difflib
import inspect
import re
import sys

import kubernetes.client
import yaml
from kubernetes.client import models

# Values the API server (or the runtime, for capabilities) refuses when not
# one of these; the models do not say.
ENUMS = {
    ("V1Container", "image_pull_policy"): {"Always", "IfNotPresent", "Never"},
    ("V1ContainerPort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1ServicePort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1HostPathVolumeSource", "type"): {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
                                         "Socket", "CharDevice", "BlockDevice"},
    ("V1SeccompProfile", "type"): {"RuntimeDefault", "Unconfined", "Localhost"},
    ("V1DaemonSetUpdateStrategy", "type"): {"RollingUpdate", "OnDelete"},
    ("V1Toleration", "operator"): {"Exists", "Equal"},
    ("V1Toleration", "effect"): {"NoSchedule", "PreferNoSchedule", "NoExecute"},
    ("V1PodSpec", "restart_policy"): {"Always", "OnFailure", "Never"},
    ("V1PodSpec", "dns_policy"): {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
    ("V1HTTPGetAction", "scheme"): {"HTTP", "HTTPS"},
    ("V1ServiceSpec", "type"): {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
}
CAPS = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

# monitoring.coreos.com/v1 PodMonitor: the fields of its CRD's schema most
# used (an unknown one is reported, as for the built-in kinds). Each type:
# {field: (type, required)}; types as the models write them.
CRD_TYPES = {
    "PodMonitor": {
        "apiVersion": ("str", True), "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True), "spec": ("PodMonitorSpec", True),
    },
    "PodMonitorSpec": {
        "jobLabel": ("str", False), "podTargetLabels": ("list[str]", False),
        "podMetricsEndpoints": ("list[PodMetricsEndpoint]", False),
        "selector": ("V1LabelSelector", True), "namespaceSelector": ("NamespaceSelector", False),
        "sampleLimit": ("int", False), "targetLimit": ("int", False),
        "labelLimit": ("int", False), "attachMetadata": ("dict(str, bool)", False),
    },
    "NamespaceSelector": {"any": ("bool", False), "matchNames": ("list[str]", False)},
    "PodMetricsEndpoint": {
        "port": ("str", False), "targetPort": ("object", False), "path": ("str", False),
        "scheme": ("str", False), "params": ("dict(str, list[str])", False),
        "interval": ("str", False), "scrapeTimeout": ("str", False),
        "honorLabels": ("bool", False), "honorTimestamps": ("bool", False),
        "enableHttp2": ("bool", False), "followRedirects": ("bool", False),
        "relabelings": ("list[RelabelConfig]", False),
        "metricRelabelings": ("list[RelabelConfig]", False),
    },
    "RelabelConfig": {
        "sourceLabels": ("list[str]", False), "separator": ("str", False),
        "targetLabel": ("str", False), "regex": ("str", False), "modulus": ("int", False),
        "replacement": ("str", False), "action": ("str", False),
    },
}
CRD_KINDS = {("monitoring.coreos.com/v1", "PodMonitor")}
CRD_ENUMS = {
    ("RelabelConfig", "action"): {"replace", "keep", "drop", "hashmod", "labelmap", "labeldrop",
                                  "labelkeep", "lowercase", "uppercase", "keepequal", "dropequal"},
    ("PodMetricsEndpoint", "scheme"): {"http", "https"},
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
LABEL_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")

_required = {}


def fields(type_name):
    """{json name: (type, required)} of a model or CRD type."""
    if type_name in CRD_TYPES:
        return CRD_TYPES[type_name]
    if type_name not in _required:
        cls = getattr(models, type_name)
        out = {}
        for attr, typ in cls.openapi_types.items():
            # The generated setter refuses None for a required field.
            src = inspect.getsource(getattr(cls, attr).fset)
            out[cls.attribute_map[attr]] = (typ, "must not be `None`" in src)
        _required[type_name] = out
    return _required[type_name]


def attr_name(type_name, key):
    """The model's attribute for a JSON field (for ENUMS)."""
    if type_name in CRD_TYPES:
        return key
    cls = getattr(models, type_name)
    return {v: k for k, v in cls.attribute_map.items()}.get(key, key)


class Checker:
    def __init__(self):
        self.problems = []
        self.where = ""
        self.templates = []  # (template, its spec) of every pod template
        self.monitors = []  # (where, PodMonitor)

    def bad(self, path, what):
        self.problems.append(f"{self.where}: {path or '.'}: {what}")

    def value(self, v, typ, path):
        if typ == "object":  # IntOrString and free-form fields
            return
        if typ == "str" or typ in ("datetime", "date"):
            if not isinstance(v, str):
                self.bad(path, f"must be a string, not {type(v).__name__} {v!r}")
        elif typ == "int":
            if not isinstance(v, int) or isinstance(v, bool):
                self.bad(path, f"must be an integer, not {type(v).__name__} {v!r}")
        elif typ == "float":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                self.bad(path, f"must be a number, not {type(v).__name__} {v!r}")
        elif typ == "bool":
            if not isinstance(v, bool):
                self.bad(path, f"must be true or false, not {type(v).__name__} {v!r}")
        elif typ.startswith("list["):
            if not isinstance(v, list):
                self.bad(path, f"must be a list, not {type(v).__name__}")
                return
            for i, item in enumerate(v):
                self.value(item, typ[5:-1], f"{path}[{i}]")
        elif typ.startswith("dict("):
            if not isinstance(v, dict):
                self.bad(path, f"must be a map, not {type(v).__name__}")
                return
            inner = typ[5:-1].split(", ", 1)[1]
            for k, item in v.items():
                if not isinstance(k, str):
                    self.bad(path, f"key {k!r} must be a string")
                self.value(item, inner, f"{path}.{k}")
        else:
            self.model(v, typ, path)

    def model(self, obj, type_name, path):
        if not isinstance(obj, dict):
            self.bad(path, f"must be a map ({type_name}), not {type(obj).__name__} {obj!r}")
            return
        known = fields(type_name)
        for key, v in obj.items():
            if key not in known:
                lower = {k.lower(): k for k in known}
                close = [lower[k] for k in difflib.get_close_matches(str(key).lower(), list(lower), n=1,
                                                                     cutoff=0.8)]
                hint = f" (did you mean {close[0]}?)" if close else ""
                self.bad(f"{path}.{key}", f"unknown field in {type_name}{hint}")
                continue
            if v is None:
                continue
            self.value(v, known[key][0], f"{path}.{key}")
            allowed = ENUMS.get((type_name, attr_name(type_name, key))) or CRD_ENUMS.get((type_name, key))
            if allowed and v not in allowed:
                self.bad(f"{path}.{key}", f"{v!r} is not one of {sorted(allowed)}")
        for key, (_, required) in known.items():
            if required and obj.get(key) is None:
                self.bad(f"{path}.{key}", f"required field of {type_name} missing")
        self.semantics(obj, type_name, path)

    def semantics(self, obj, type_name, path):
        """What the API server validates beyond types."""
        if type_name == "V1ObjectMeta":
            for key in ("labels", "annotations"):
                for name, v in (obj.get(key) or {}).items():
                    if not LABEL_NAME.match(str(name)):
                        self.bad(f"{path}.{key}.{name}", "not a valid label or annotation name")
                    if key == "labels" and isinstance(v, str) and not LABEL_VALUE.match(v):
                        self.bad(f"{path}.{key}.{name}", f"{v!r} is not a valid label value")
        elif type_name == "V1Capabilities":
            for key in ("add", "drop"):
                for i, cap in enumerate(obj.get(key) or []):
                    if cap != "ALL" and str(cap).removeprefix("CAP_") not in CAPS:
                        self.bad(f"{path}.{key}[{i}]", f"{cap!r} is not a Linux capability")
        elif type_name == "V1PodTemplateSpec":
            self.pod(obj, path)
        elif type_name == "PodMetricsEndpoint":
            for key in ("interval", "scrapeTimeout"):
                if key in obj and not DURATION.match(str(obj[key])):
                    self.bad(f"{path}.{key}", f"{obj[key]!r} is not a duration (15s, 1m)")

    def pod(self, tmpl, path):
        """A pod template's references: volumes mounted exist, probes' named
        ports are the container's."""
        spec = tmpl.get("spec") or {}
        declared = {p.get("containerPort") for c in spec.get("containers") or [] if isinstance(c, dict)
                    for p in c.get("ports") or [] if isinstance(p, dict)}
        port = ((tmpl.get("metadata") or {}).get("annotations") or {}).get("prometheus.io/port")
        if isinstance(port, str) and (not port.isdigit() or int(port) not in declared):
            self.bad(f"{path}.metadata.annotations.prometheus.io/port",
                     f"{port!r} is not a port of the pod's containers")
        self.templates.append((tmpl, spec))
        volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)}
        for i, ctr in enumerate(spec.get("containers") or []):
            if not isinstance(ctr, dict):
                continue
            cpath = f"{path}.spec.containers[{i}]"
            for j, m in enumerate(ctr.get("volumeMounts") or []):
                if isinstance(m, dict) and m.get("name") not in volumes:
                    self.bad(f"{cpath}.volumeMounts[{j}].name", f"no volume {m.get('name')!r}")
            ports = {p.get("name") for p in ctr.get("ports") or [] if isinstance(p, dict)}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = ((ctr.get(probe) or {}).get("httpGet") or {}).get("port")
                if isinstance(port, str) and port not in ports:
                    self.bad(f"{cpath}.{probe}.httpGet.port", f"no container port named {port!r}")

    def document(self, doc):
        api, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api, str) or not isinstance(kind, str):
            self.bad("", "apiVersion and kind must be strings")
            return
        if (api, kind) in CRD_KINDS:
            self.model(doc, kind, "")
            if kind == "PodMonitor":
                self.monitors.append((self.where, doc))
        else:
            type_name = served(api, kind)
            if not type_name:
                self.bad("", f"the API serves no kind {kind} in {api}")
                return
            self.model(doc, type_name, "")
        if not (doc.get("metadata") or {}).get("name"):
            self.bad(".metadata.name", "required")
        if kind in ("DaemonSet", "Deployment", "StatefulSet"):
            sel = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            labels = ((doc["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                self.bad(".spec.selector", "does not select the template's labels (the API refuses it)")


    def monitored(self):
        """Each PodMonitor selects a pod template of the files given, and
        its endpoints' ports are that template's named ports."""
        for where, mon in self.monitors:
            self.where = where
            spec = mon.get("spec") or {}
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            found = [t for t in self.templates
                     if sel and all(((t[0].get("metadata") or {}).get("labels") or {}).get(k) == v
                                    for k, v in sel.items())]
            if not found:
                self.bad(".spec.selector", "selects none of the pod templates checked with it")
                continue
            names = {p.get("name") for c in found[0][1].get("containers") or []
                     for p in c.get("ports") or []}
            for i, ep in enumerate(spec.get("podMetricsEndpoints") or []):
                if isinstance(ep, dict) and ep.get("port") not in names:
                    self.bad(f".spec.podMetricsEndpoints[{i}].port",
                             f"the pods have no port named {ep.get('port')!r}")


def served(api, kind):
    """The model class of kind in group/version api, when an API class of the
    client has a create method for it; else None."""
    group, _, version = api.rpartition("/")
    vers = version[:1].upper() + version[1:]
    camel = "".join(p[:1].upper() + p[1:] for p in re.split(r"[.-]", group.removesuffix(".k8s.io")))
    api_cls = getattr(kubernetes.client, f"{camel or 'Core'}{vers}Api", None)
    type_name = f"{vers}{kind}"
    if api_cls is None or not hasattr(models, type_name):
        return None
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    if not (hasattr(api_cls, f"create_{snake}") or hasattr(api_cls, f"create_namespaced_{snake}")):
        return None
    return type_name


def main():
    checker = Checker()
    for name in sys.argv[1:]:
        with open(name, encoding="utf-8") as f:
            try:
                docs = list(yaml.safe_load_all(f))
            except yaml.YAMLError as e:
                checker.problems.append(f"{name}: not YAML: {e}")
                continue
        for n, doc in enumerate(docs, 1):
            if doc is None:
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            checker.where = f"{name}: doc {n} ({doc.get('kind') if isinstance(doc, dict) else '?'} " \
                            f"{(meta or {}).get('name') if isinstance(meta, dict) else '?'})"
            if not isinstance(doc, dict):
                checker.bad("", "not a map")
                continue
            checker.document(doc)
    checker.monitored()
    for p in checker.problems:
        print(p)
    sys.exit(1 if checker.problems else 0)


if __name__ == "__main__":
    main()
