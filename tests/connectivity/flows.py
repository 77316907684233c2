"""The derived flows as data, for a prober that replays them from real pods (kind).

    from connectivity.flows import derived_flows
    for source, target, port in derived_flows()["keycloak=external storage=pvc langfuse=in-cluster sandbox=on"]:
        ...  # exec into a pod of `source`, connect to `target` (a workload, or an address) on `port`

``workloads()`` says where each workload's pods are (namespace, labels), so a prober can
pick a pod to exec in and a pod to aim at. Peers outside the platform (router, prometheus,
cnpg-operator) appear as sources only; addresses outside the cluster are documentation
addresses (render.EXTERNAL_HOSTS, derive.ROUTER_IP, derive.APISERVER_IP) a prober maps to
its own stand-ins.
"""

from connectivity.derive import derive
from connectivity.render import render_all


def derived_flows(combos=None):
    """{combination name: [(from workload, to workload or address, port)]}; no engine involved."""
    return {r.combination.name: [f.as_tuple() for f in derive(r.objects, r.variables)[1]] for r in render_all(combos)}


def workloads(combos=None):
    """{combination name: {workload: (namespace, pod labels)}}."""
    out = {}
    for rendered in render_all(combos):
        model = derive(rendered.objects, rendered.variables)[0]
        out[rendered.combination.name] = {pod.workload: (pod.namespace, dict(pod.labels)) for pod in model.pods}
    return out
