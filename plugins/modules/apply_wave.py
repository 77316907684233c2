#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: apply_wave
short_description: Apply one sync wave server-side and wait until its gates are ready
version_added: 0.1.0
description:
  - Applies every object of a wave with Kubernetes server-side apply, in the order given, then waits with a bounded
    timeout until every gate of the wave is ready at the generation applied (C(metadata.generation)), never on a
    status left by the previous generation.
  - Gates are Deployments and StatefulSets (C(status.observedGeneration) reached, rolled out and available), Jobs
    (condition C(Complete); a C(Failed) Job fails the wave at once), C(Keycloak) objects of C(k8s.keycloak.org)
    (C(status.observedGeneration) and the C(Ready) condition's C(observedGeneration) reached, C(Ready=True), no
    C(RollingUpdate=True)), CloudNativePG or EDB C(Database) objects (C(status.applied) true and
    C(status.observedGeneration) reached), and CloudNativePG or EDB C(Cluster) objects.
  - A C(Cluster) publishes no generation (CloudNativePG 1.30 has no C(status.observedGeneration) and no
    C(observedGeneration) on its conditions). It is ready with C(Ready=True), phase C(Cluster in healthy state),
    C(readyInstances) equal to C(spec.instances), C(currentPrimary) equal to C(targetPrimary), and C(status.image)
    equal to C(spec.imageName), so an image bump waits for the operator. A change that moves neither the image nor
    the instances can still pass on the old status.
  - A Job that had already failed when the wave applies it (in an earlier run; its pod template is immutable, and
    the same manifest would leave it failed) is deleted with its pods and created again from the same manifest, once
    per run, unless O(rerun_failed_jobs=false). When it fails again, or a Job fails for the first time, the wave
    fails, names the command that shows the Job's logs, and applies nothing after that step.
  - With O(steps), each step is applied and its gates waited for before the next step starts, as a migration Job
    must complete before the replicas that need the new schema roll out.
  - Every kind of every step must be served before the first object is written.
  - A timeout or a failed Job fails the task with a message that names each blocking object, its status and its
    newest events.
  - An object counts as changed when the applied object differs from the one read before, apart from C(status),
    C(resourceVersion), C(generation) and C(managedFields).
  - An object still exactly as this controller's last apply of the same manifest left it (same C(uid) and
    C(resourceVersion), see O(applied_record_dir)) is not sent again, so a no-op costs one read per object over a
    single kept-alive connection. Any write to the object by anyone gives it a new C(resourceVersion), and the
    manifest is applied again, repairing drift.
  - A template whose sources and inputs are those of its last render is not rendered again (see
    O(applied_record_dir)). Its objects are read and checked against the record instead, and it is rendered only
    when one of them changed.
  - This is an action plugin. It runs on the controller, like C(kubectl), and reads the cluster from a kubeconfig.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.kubeconfig
attributes:
  check_mode:
    support: full
    description: Runs a server-side dry run (C(dryRun=All)) and reports each object that would change. Objects in a
      namespace the same run would create cannot be dry-run and are reported as to be created. Nothing is waited for.
  diff_mode:
    support: full
    description: Shows the before and after of each changed object without C(managedFields) or C(status); Secret
      values are masked, and a changed one shows as changed.
  action:
    support: full
    description: Runs on the controller; the target host is not contacted.
  async:
    support: none
    description: The wave is waited for by the task itself, with O(wait_timeout).
  platform:
    support: full
    platforms: all
    description: Any controller that can reach the API server.
options:
  templates:
    description:
      - Jinja2 templates of the wave's manifests, rendered on the controller with the task's variables, in order.
        Each renders to one or more YAML documents; empty documents are left out.
      - A relative name is looked up as the C(template) action does, in the role's C(templates) directory first.
        C({% include %}) and C({% import %}) find files there too.
      - Rendered here, the play's variables are copied once per wave, not once per file as the C(template) lookup
        does, and the objects never travel through the task's arguments.
      - At least one of O(templates) and O(objects) is needed.
    type: list
    elements: str
    default: []
  objects:
    description:
      - Manifests of the wave given as data, applied after those of O(templates). Each needs C(apiVersion),
        C(kind), C(metadata.name), and C(metadata.namespace) when its kind is namespaced.
    type: list
    elements: dict
    default: []
  wave:
    description: The sync wave, for the report and the messages.
    type: int
    required: true
  component:
    description: The component of the wave, for the report and the messages.
    type: str
    required: true
  field_manager:
    description: The server-side apply field manager.
    type: str
    default: airgap.dify_platform
  force_conflicts:
    description: Take over fields another manager owns, as C(kubectl apply --server-side --force-conflicts) does.
    type: bool
    default: true
  create_only:
    description:
      - Create the objects that do not exist and leave the others exactly as they are, without an apply. For values
        that must never change once made, such as generated Secrets.
    type: bool
    default: false
  rerun_failed_jobs:
    description:
      - Delete a Job found failed when the wave applies it (it failed in an earlier run) and create it again from
        the same manifest, once per run, before waiting for it. Pods of the failed Job are deleted with it; read
        their logs before the next run.
      - When false, a failed Job fails the wave at once, until it is deleted by hand.
      - Ignored with O(create_only).
    type: bool
    default: true
  wait:
    description: Wait until every gate is ready.
    type: bool
    default: true
  steps:
    description:
      - Parts of the wave applied one after the other, each once the gates of the previous one are ready.
      - Instead of O(templates) and O(objects), which make a wave of one step.
    type: list
    elements: dict
    default: []
    suboptions:
      templates:
        description: Templates of the step, as O(templates).
        type: list
        elements: str
        default: []
      objects:
        description: Manifests of the step given as data, applied after those of its O(steps[].templates).
        type: list
        elements: dict
        default: []
  wait_timeout:
    description: Seconds the gates of each step may take to become ready.
    type: int
    default: 600
  wait_sleep:
    description:
      - The longest pause, in seconds, between two reads of the gates that are not ready yet.
      - The first read after the apply comes after a quarter of a second, and each pause doubles up to this one,
        so a gate ready within a second is not held for a whole pause.
    type: float
    default: 2.0
  started:
    description:
      - Epoch seconds at which the wave started; the report counts from it.
      - Default is when the previous wave of the run became ready (the C(ready_at) of the last line of the host fact
        C(dify_platform_wave_report)), so the time of a wave includes its preparation (API calls, steps with
        O(report=false)); for the first wave of a run, the start of this task.
    type: float
  applied_record_dir:
    description:
      - Directory of the record of what this controller applied, one file per API server, readable by its owner
        only. For each object applied it holds the C(uid), the C(resourceVersion) right after the apply and a
        SHA-256 digest of the manifest, field manager and O(force_conflicts); Secrets are never recorded.
      - Default is C(airgap.dify_platform/applied) under C($XDG_CACHE_HOME), or C(~/.cache). An empty string turns
        the record off, and every object is applied on every run, as C(kubectl apply) does.
      - A missing or stale record only costs the applies it would have saved.
      - The same directory holds C(rendered.json), the memo of rendered templates. For each template it keeps a
        SHA-256 digest of its source and of each file it includes or imports, the names of the variables it reads
        (directly, or through the templates in those variables' values), a SHA-256 digest of their values and of
        what each filter and test it uses resolves to, and the identity and manifest digest of each object it
        rendered. Every digest also covers the versions of Python, ansible-core, Jinja and PyYAML, the templating
        settings of ansible-core, and every file under this collection's C(plugins/) directory. When all of these
        are unchanged, the template would render the same objects, so it is not rendered again; any change renders
        it again, with nothing to delete by hand.
      - A template is rendered on every run when it renders a Secret, calls a lookup or C(now()), reads C(hostvars)
        or C(vars), uses a filter or test that reads chance, the clock, files or the environment (such as
        C(random) or C(password_hash)) or one outside ansible-core, Jinja and this collection, or reads a variable
        that does any of these or holds a vaulted value.
      - O(render_dir) and a configured Jinja extension (C(DEFAULT_JINJA2_EXTENSIONS)) turn the memo off.
    type: str
  report:
    description:
      - Append the wave's line to the host fact C(dify_platform_wave_report) (wave, component, objects, seconds) and
        its Routes to the host fact C(dify_platform_routes) (read them as C(ansible_facts.dify_platform_wave_report)),
        which the C(wave_report) filter prints at the end of a run.
      - Set false for a step that is part of a wave rather than a wave, such as creating generated Secrets.
    type: bool
    default: true
  links:
    description:
      - Other URLs of the wave to list at the end of the wave report, each a dict with C(name) and C(url), such as a
        console page or an endpoint without a Route. Added to C(dify_platform_routes) with O(report).
    type: list
    elements: dict
    default: []
  render_dir:
    description:
      - Also write the wave's objects, Secrets left out, into C(<render_dir>/<wave>-<component>.yml), for review or for
        C(kubectl). Empty writes nothing.
    type: path
    default: ""
  request_timeout:
    description: Seconds each request may take.
    type: int
    default: 30
  retries:
    description: Times a request is retried, with backoff, on a connection error or an HTTP 500, 502, 503 or 504.
    type: int
    default: 3
notes:
  - Deleting objects a wave no longer renders is out of scope; remove them with C(kubernetes.core.k8s) C(state=absent).
seealso:
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Apply Redis (wave 2) and wait until its StatefulSet is ready
  airgap.dify_platform.apply_wave:
    wave: 2
    component: redis
    templates:
      - redis.yml.j2
    wait_timeout: 300
  register: redis_wave

- name: Run the migration Job, then roll out the workloads that need the new schema
  airgap.dify_platform.apply_wave:
    wave: 3
    component: dify
    steps:
      - templates: [config.yml.j2, migrate.yml.j2]
      - templates: [workloads.yml.j2]

- name: Apply the Secrets of a wave without showing them
  airgap.dify_platform.apply_wave:
    wave: 0
    component: keycloak
    objects: "{{ client_secrets }}"
  no_log: true
"""

RETURN = r"""
objects:
  description: Each object applied, in order, with what happened to it.
  returned: success
  type: list
  elements: dict
  contains:
    ref:
      description: C(Kind namespace/name).
      type: str
    action:
      description: C(created), C(configured) or C(unchanged); in check mode, what a real run would do.
      type: str
  sample: [{"ref": "Deployment dify-platform/redis", "action": "unchanged"}]
created:
  description: Number of objects created.
  returned: success
  type: int
configured:
  description: Number of existing objects the apply changed.
  returned: success
  type: int
unchanged:
  description: Number of objects left as they were.
  returned: success
  type: int
sent:
  description: Number of objects sent to the API server (applied or dry-run); the others were read only.
  returned: success
  type: int
rendered:
  description: Number of the wave's templates rendered by this run.
  returned: success
  type: int
recalled:
  description: Number of the wave's templates not rendered, because the memo of rendered templates (see
    O(applied_record_dir)) knew their objects and the cluster still held them as last applied.
  returned: success
  type: int
gates:
  description: The objects the wave waited for.
  returned: success
  type: list
  elements: str
rerun:
  description: The Jobs that had failed in an earlier run and were deleted and created again by this one (in check
    mode, that would be).
  returned: success
  type: list
  elements: str
  sample: ["Job dify-platform/dify-migrate-0a1b2c3d4e"]
routes:
  description: The Routes of the wave with their hosts, for the wave report.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "dify", "namespace": "dify-platform", "host": "dify.apps.example.internal", "tls": true}]
ansible_facts:
  description: With O(report), the facts C(dify_platform_wave_report) and C(dify_platform_routes) with this wave added.
  returned: success and O(report)
  type: dict
report:
  description: The wave's line of the wave report; C(ready_at) is when the wave became ready, in epoch seconds.
  returned: success
  type: dict
  sample: {"wave": 2, "component": "redis", "objects": 4, "seconds": 3.2, "ready_at": 1795000000.123}
"""
