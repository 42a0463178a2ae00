#!/bin/bash
# The Kubernetes manifests (deploy/kubernetes/) against the Kubernetes API
# schema, with no cluster: kubectl apply --dry-run=client --validate fetches
# the schema from a server, so k8s-validate.py checks them with the model
# classes of python3-kubernetes (unknown fields, types, required fields,
# apiVersion and kind, enums, references). Proved to catch each kind of
# mistake on altered copies. The Prometheus scrape job
# (deploy/prometheus/numalens-scrape.yml) passes promtool check config; a
# misspelled field in it does not. The manifest names the image make image
# builds. t-container.sh runs that image with the manifest's settings.
set -u

. tests/results-lib.sh

manifest=deploy/kubernetes/numalens-exporter.yaml
monitor=deploy/kubernetes/numalens-podmonitor.yaml
scrape=deploy/prometheus/numalens-scrape.yml
validate=tests/deploy/k8s-validate.py
if ! /usr/bin/python3 -c 'import kubernetes.client, yaml' 2>/dev/null; then
	skip "manifests valid" "python3-kubernetes and python3-yaml are not installed"
	give_up
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numalens-k8s.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

echo "== the manifests as shipped"
kinds=$(awk '/^kind:/ { printf "%s%s", sep, $2; sep = " " }' deploy/kubernetes/*.yaml)
check "the manifests hold a DaemonSet, a Namespace and a PodMonitor (got $kinds)" \
	[ "$(tr ' ' '\n' <<<"$kinds" | sort | tr '\n' ' ')" = "DaemonSet Namespace PodMonitor " ]
image=$(sed -n 's/^IMAGE ?= //p' Makefile)
check "the DaemonSet runs make image's $image, IfNotPresent (loaded, not pulled)" \
	grep -Pzq "image: \Q$image\E\n *imagePullPolicy: IfNotPresent\n" "$manifest"

# broken NAME FILE SED EXPECT: FILE altered by SED is to fail validation
# with EXPECT (a fixed string: the path and the problem). The alteration
# must change the file, or the test would prove nothing. One validator run
# checks the shipped files and every copy (the shipped ones there for the
# references between files) at the end: judge.
n=0
cases=()
broken() {
	local copy
	n=$((n + 1))
	copy="$tmp/copy$n-${2##*/}"
	sed "$3" "$2" >"$copy"
	if cmp -s "$2" "$copy"; then
		fail "$1: the alteration '$3' changed nothing in $2"
		return
	fi
	cases+=("$1" "$copy" "$4")
}
judge() {
	local i name copy expect
	"$validate" deploy/kubernetes/*.yaml "$tmp"/copy*.yaml >"$tmp/broken.log" 2>&1
	grep -v "^$tmp/copy" "$tmp/broken.log" >"$tmp/ok.log"
	check_showing "$tmp/ok.log" -- "$(echo deploy/kubernetes/*.yaml) match the API schema" [ ! -s "$tmp/ok.log" ]
	for ((i = 0; i < ${#cases[@]}; i += 3)); do
		name=${cases[i]} copy=${cases[i + 1]} expect=${cases[i + 2]}
		grep -F -- "$copy: " "$tmp/broken.log" >"$tmp/case.log"
		check_showing "$tmp/case.log" -- "$name: refused ($expect)" grep -qF -- "$expect" "$tmp/case.log"
	done
}

echo "== altered copies are refused"
broken "misspelled field" "$manifest" 's/hostPID: true/hostPid: true/' \
	'.spec.template.spec.hostPid: unknown field in V1PodSpec (did you mean hostPID?)'
broken "field in the wrong place" "$manifest" 's/^\(      \)hostPID: true/\1hostPID: true\n      readOnlyRootFilesystem: true/' \
	'.spec.template.spec.readOnlyRootFilesystem: unknown field in V1PodSpec'
broken "a string for an integer" "$manifest" 's/containerPort: 16862/containerPort: "16862"/' \
	".ports[0].containerPort: must be an integer, not str '16862'"
broken "an integer for a string (annotation)" "$manifest" 's|prometheus.io/port: "16862"|prometheus.io/port: 16862|' \
	'.spec.template.metadata.annotations.prometheus.io/port: must be a string, not int 16862'
broken "a list for a map" "$manifest" 's/^\(            \)requests:$/\1requests: []/; /^              cpu: 20m$/d; /^              memory: 32Mi$/d' \
	'.resources.requests: must be a map, not list'
broken "required field missing" "$manifest" 's/^        - name: numalens$/        - nme: numalens/' \
	'.spec.template.spec.containers[0].name: required field of V1Container missing'
broken "unknown apiVersion" "$manifest" 's|^apiVersion: apps/v1$|apiVersion: apps/v2|' \
	'the API serves no kind DaemonSet in apps/v2'
broken "unknown kind" "$manifest" 's/^kind: DaemonSet$/kind: DaemonSets/' \
	'the API serves no kind DaemonSets in apps/v1'
broken "bad enum value" "$manifest" 's/imagePullPolicy: IfNotPresent/imagePullPolicy: IfMissing/' \
	".imagePullPolicy: 'IfMissing' is not one of"
broken "misspelled capability" "$manifest" 's/"PERFMON"/"PERFMONN"/' \
	".capabilities.add[1]: 'PERFMONN' is not a Linux capability"
broken "mount of no volume" "$manifest" 's/^\(            - name: \)sys-node$/\1sys-nodes/' \
	".volumeMounts[1].name: no volume 'sys-nodes'"
broken "probe on no port" "$manifest" '0,/port: metrics/s//port: metric/' \
	".livenessProbe.httpGet.port: no container port named 'metric'"
broken "scrape annotation on no port" "$manifest" 's|prometheus.io/port: "16862"|prometheus.io/port: "9100"|' \
	"prometheus.io/port: '9100' is not a port of the pod's containers"
broken "selector missing the template" "$manifest" '0,/app.kubernetes.io\/name: numalens-exporter/! s/^\(        app.kubernetes.io\/name: \)numalens-exporter$/\1other/' \
	".spec.selector: does not select the template's labels"
broken "PodMonitor: misspelled field" "$monitor" 's/podMetricsEndpoints:/podMetricEndpoints:/' \
	'.spec.podMetricEndpoints: unknown field in PodMonitorSpec (did you mean podMetricsEndpoints?)'
broken "PodMonitor: bad duration" "$monitor" 's/interval: 15s/interval: 15/' \
	".spec.podMetricsEndpoints[0].interval: must be a string, not int 15"
broken "PodMonitor: on no port" "$monitor" 's/- port: metrics/- port: http/' \
	".spec.podMetricsEndpoints[0].port: the pods have no port named 'http'"
judge

echo "== the Prometheus scrape job"
# Debian's Prometheus is built without Kubernetes discovery: promtool reads
# the job with file_sd in place of kubernetes_sd_configs (prom-config.py
# checks those itself), the relabeling as shipped.
promcheck() {
	/usr/bin/python3 tests/deploy/prom-config.py "$1" "$manifest" 10.0.0.1 node-a "$2" &&
		promtool check config "$2/prometheus.yml"
}
if need promtool "scrape job: promtool check config"; then
	mkdir "$tmp/ok" "$tmp/bad"
	promcheck "$scrape" "$tmp/ok" >"$tmp/prom-ok.log" 2>&1
	check_showing "$tmp/prom-ok.log" -- "promtool check config: $scrape is valid" \
		grep -q SUCCESS "$tmp/prom-ok.log"
	sed 's/target_label: __metrics_path__/targetlabel: __metrics_path__/' "$scrape" >"$tmp/bad.yml"
	promcheck "$tmp/bad.yml" "$tmp/bad" >"$tmp/prom-bad.log" 2>&1
	check_showing "$tmp/prom-bad.log" -- "... and refuses it with a misspelled field (targetlabel)" \
		grep -q 'field targetlabel not found' "$tmp/prom-bad.log"
	sed 's/role: pod$/role: pods/' "$scrape" >"$tmp/bad2.yml"
	promcheck "$tmp/bad2.yml" "$tmp/bad" >"$tmp/prom-bad2.log" 2>&1
	check_showing "$tmp/prom-bad2.log" -- "... and with an unknown discovery role (pods)" \
		grep -q "role 'pods' is not one of" "$tmp/prom-bad2.log"
fi
tally
