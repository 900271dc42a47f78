"""extensions/awx/: the AWX assets `awx import` loads are complete and true to the playbooks.

The `awx.awx` collection and an AWX server are not available here, so the assets are checked against awxkit's own
importer definitions (the resources it imports, each type's natural key) and against the checkout: every job template
names an existing playbook, its survey asks only for variables the playbook reads and documents (README's playbook
table, the playbook's header, the roles' meta/argument_specs.yml) with matching types, choices and defaults, every
required variable is asked for, and credentials reach jobs only through credential types (environment variables),
never through extra vars or survey answers.
"""

import re
from functools import cache
from pathlib import Path

import jinja2
import pytest
import yaml
from awxkit.api import pages as awx_pages
from awxkit.api.pages.api import EXPORTABLE_RESOURCES
from dateutil.rrule import rrulestr
from jinja2 import meta
from jinja2 import nodes

REPO = Path(__file__).resolve().parents[2]
ASSETS_FILE = REPO / "extensions" / "awx" / "daylily_ephemeral_cluster.yml"
PLAYBOOKS = REPO / "playbooks"
COLLECTION_PREFIX = "daylily.ephemeral_cluster."
# The names every playbook takes for the same things (README, "Operator playbooks").
COMMON_VARIABLES = {"cluster_name", "file_system_id", "region", "fsx_mount_point", "target_headnode"}
# AWX's built-in credential type for AWS (managed by AWX, so never in an export): what the assets may reference.
AWX_BUILT_INS = [{"name": "Amazon Web Services", "kind": "cloud", "type": "credential_type"}]
# awxkit's page class of each natural-key type the assets use.
PAGE_CLASSES = {
    "organization": awx_pages.Organization,
    "credential_type": awx_pages.CredentialType,
    "credential": awx_pages.Credential,
    "execution_environment": awx_pages.ExecutionEnvironment,
    "project": awx_pages.Project,
    "inventory": awx_pages.Inventory,
    "inventory_source": awx_pages.InventorySource,
    "job_template": awx_pages.JobTemplate,
    "schedule": awx_pages.Schedule,
}
# Names a playbook reads that no operator sets: Ansible's own variables and Jinja globals.
NOT_INPUTS = {
    "playbook_dir",
    "inventory_hostname",
    "inventory_dir",
    "hostvars",
    "groups",
    "group_names",
    "item",
    "omit",
    "lookup",
    "query",
    "q",
    "now",
    "range",
    "dict",
    "undef",
    "role_path",
    "play_hosts",
    "ansible_check_mode",
    "ansible_diff_mode",
    "ansible_playbook_python",
    "ansible_loop",
}
# Task keys whose value is a bare Jinja expression (no braces).
CONDITION_KEYS = {"when", "until", "changed_when", "failed_when"}
# Survey question types for each argument_specs type.
SURVEY_TYPES = {
    "str": {"text", "textarea", "multiplechoice"},
    "path": {"text"},
    "int": {"integer"},
    "float": {"float"},
    "bool": {"multiplechoice"},
    "list": {"text", "textarea", "multiselect"},
}
SECRET_NAME = re.compile(r"token|secret|passw|access_key|private_key|session_key", re.IGNORECASE)


def load_assets():
    return yaml.safe_load(ASSETS_FILE.read_text(encoding="utf-8"))


ASSETS = load_assets()
JOB_TEMPLATES = ASSETS["job_templates"]


# --- what a playbook reads and documents ------------------------------------------------------------------------------


class AnyName(dict):
    def __contains__(self, name):
        return True

    def get(self, name, default=None):
        return super().get(name) or (lambda value, *args, **kwargs: value)


class Expression:
    """The variables one Jinja template or expression reads: all of them, and those read without a default."""

    ENV = jinja2.Environment()
    # Ansible's and the collections' filters and tests (daylily.ephemeral_cluster.reap_plan, is failed) are unknown to
    # plain Jinja, whose code generator (find_undeclared_variables) refuses unknown names.
    ENV.filters = AnyName(ENV.filters)
    ENV.tests = AnyName(ENV.tests)

    def __init__(self, text, bare_expression=False):
        source = "{{ %s }}" % text if bare_expression else text
        tree = self.ENV.parse(source)
        self.names = meta.find_undeclared_variables(tree)
        defaulted = set()
        for node in tree.find_all((nodes.Filter, nodes.Test)):
            if node.name in {"default", "d", "defined", "undefined"}:
                defaulted |= {name.name for name in node.node.find_all(nodes.Name)}
                if isinstance(node.node, nodes.Name):
                    defaulted.add(node.node.name)
        self.without_default = self.names - defaulted


def role_spec(role, entry_point="main"):
    path = REPO / "roles" / role / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"]
    return (specs.get(entry_point) or {}).get("options") or {}


class PlaybookInterface:
    """The variables an operator gives a playbook (following import_playbook), with their types where a role
    option receives them, and the ones it needs."""

    def __init__(self, playbook):
        self.inputs = set()
        self.required = set()
        self.defined = set()
        self.role_options = {}  # role options the playbook leaves to the operator: name -> spec
        self.types = {}  # input -> the role option spec it feeds
        self.header_names = set()
        self._read(PLAYBOOKS / playbook)
        self.inputs -= self.defined | NOT_INPUTS
        self.required -= self.defined | NOT_INPUTS
        self.inputs = {name for name in self.inputs if not name.startswith("ansible_")}
        self.required = {name for name in self.required if not name.startswith("ansible_")}

    def _read(self, path):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("#"):
                self.header_names |= set(re.findall(r"\b([a-z][a-z0-9_]*)=", line))
                self.header_names |= set(re.findall(r'"([a-z][a-z0-9_]*)":', line))
        for play in yaml.safe_load(text):
            self.directory = path.parent
            imported = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
            if imported:
                self._vars(play.get("vars") or {})
                self._read(path.parent / imported)
                continue
            self._vars(play.get("vars") or {})
            self._templates(play.get("module_defaults") or {})
            for role in play.get("roles") or []:
                entry = {"role": role} if isinstance(role, str) else role
                self._role(entry.get("role") or entry["name"], "main", entry.get("vars") or {})
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                for task in play.get(section) or []:
                    self._task(task)

    def _vars(self, variables):
        self.defined |= set(variables)
        self._templates(variables)

    def _role(self, name, entry_point, variables):
        role = name.removeprefix(COLLECTION_PREFIX)
        spec = role_spec(role, entry_point)
        self.defined |= role_results(role)
        for option, value in variables.items():
            if option in spec and isinstance(value, str):
                expression = Expression(value)
                for input_name in expression.names:
                    self.types.setdefault(input_name, spec[option])
        self._vars(variables)
        for option, option_spec in spec.items():
            if option not in variables:
                self.role_options[option] = option_spec
                if option_spec.get("required"):
                    self.required.add(option)
            elif option_spec.get("required") and isinstance(variables[option], str):
                self.required |= Expression(variables[option]).without_default

    def _task(self, task):
        for block in ("block", "rescue", "always"):
            for inner in task.get(block) or []:
                self._task(inner)
        self.defined |= task_results([task])
        task_vars = task.get("vars") or {}
        self.defined |= {(task.get("loop_control") or {}).get("loop_var", "item")}
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            if key in task:
                self._role(task[key]["name"], task[key].get("tasks_from", "main").removesuffix(".yml"), task_vars)
        for key in ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks", "include_tasks", "import_tasks"):
            if key in task:
                included = task[key] if isinstance(task[key], str) else task[key]["file"]
                for inner in yaml.safe_load((self.directory / included).read_text(encoding="utf-8")) or []:
                    self._task(inner)
        self._vars(task_vars)
        for key in CONDITION_KEYS & set(task):
            conditions = task[key] if isinstance(task[key], list) else [task[key]]
            for condition in conditions:
                if isinstance(condition, str):
                    expression = Expression(condition, bare_expression=True)
                    self.inputs |= expression.names
        rest = {key: value for key, value in task.items() if key not in CONDITION_KEYS | {"vars", "block"}}
        self._templates(rest)

    def _templates(self, value):
        if isinstance(value, dict):
            for item in value.values():
                self._templates(item)
        elif isinstance(value, list):
            for item in value:
                self._templates(item)
        elif isinstance(value, str) and ("{{" in value or "{%" in value):
            expression = Expression(value)
            self.inputs |= expression.names
            self.required |= expression.without_default


def task_results(tasks):
    """The variables tasks register or set (what a role hands back to the play), through blocks."""
    found = set()
    for task in tasks or []:
        for block in ("block", "rescue", "always"):
            found |= task_results(task.get(block))
        if task.get("register"):
            found.add(task["register"])
        for key in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(task.get(key), dict):
                found |= set(task[key])
    return found


@cache
def role_results(role):
    return {
        name
        for path in (REPO / "roles" / role / "tasks").glob("*.yml")
        for name in task_results(yaml.safe_load(path.read_text(encoding="utf-8")))
    }


@cache
def interface(playbook):
    return PlaybookInterface(playbook)


@cache
def readme_variables():
    """{playbook file name: the variables README's playbook table lists for it}."""
    found = {}
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`playbooks/([\w.-]+\.yml)`\s*\|", line)
        if match:
            found[match.group(1)] = set(re.findall(r"`([a-z][a-z0-9_]*)`", line.split("|")[-2]))
    return found


def documented_variables(playbook):
    playbook_interface = interface(playbook)
    return (
        COMMON_VARIABLES
        | readme_variables().get(playbook, set())
        | playbook_interface.header_names
        | set(playbook_interface.role_options)
    )


def extra_vars(template):
    return yaml.safe_load(template.get("extra_vars") or "") or {}


def survey(template):
    return template.get("related", {}).get("survey_spec", {}).get("spec", [])


def template_id(template):
    return template["name"]


# --- the asset format awx import loads --------------------------------------------------------------------------------


def test_the_file_holds_only_resources_awx_import_loads():
    assert set(ASSETS) <= set(EXPORTABLE_RESOURCES), sorted(set(ASSETS) - set(EXPORTABLE_RESOURCES))


def all_assets():
    for resource, assets in ASSETS.items():
        for asset in assets:
            yield resource, asset
            for schedule in asset.get("related", {}).get("schedules", []):
                yield "schedules", schedule


def natural_keys():
    return [asset["natural_key"] for _resource, asset in all_assets()] + AWX_BUILT_INS


def test_every_asset_has_the_natural_key_awxkit_computes_for_it():
    for resource, asset in all_assets():
        key = asset["natural_key"]
        page_class = PAGE_CLASSES[key["type"]]
        assert set(key) - {"type"} <= set(page_class.NATURAL_KEY), (resource, key)
        for field in page_class.NATURAL_KEY:
            if field in asset:
                assert key.get(field) == asset[field], f"{resource} {asset['name']}: natural_key.{field}"
            elif field != "unified_job_template":
                assert field not in key, f"{resource} {asset['name']}: {field} in the key but not in the asset"
    keys = [repr(sorted(key.items(), key=str)) for key in natural_keys()]
    assert len(keys) == len(set(keys)), "two assets share a natural key"


def references(value):
    """Every natural-key reference (a mapping with a type) inside an asset's fields and related lists."""
    if isinstance(value, dict):
        if "type" in value and "name" in value:
            yield value
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def test_every_reference_names_an_asset_of_the_file_or_an_awx_built_in():
    known = natural_keys()
    for resource, asset in all_assets():
        fields = {key: value for key, value in asset.items() if key != "natural_key"}
        for reference in references(fields):
            assert reference in known, f"{resource} {asset['name']} references {reference}, which nothing defines"


# --- job templates and their surveys ----------------------------------------------------------------------------------


def test_every_operator_playbook_has_a_job_template():
    templated = {template["playbook"] for template in JOB_TEMPLATES}
    missing = sorted(
        f"playbooks/{path.name}" for path in PLAYBOOKS.glob("*.yml") if f"playbooks/{path.name}" not in templated
    )
    assert not missing, f"operator playbooks without an AWX job template in {ASSETS_FILE.name}: {missing}"


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_the_template_runs_a_playbook_of_the_project(template):
    assert template["project"] == ASSETS["projects"][0]["natural_key"]
    assert (REPO / template["playbook"]).is_file(), f"{template['name']}: no {template['playbook']} in the checkout"
    assert template["playbook"].startswith("playbooks/")
    assert template["job_type"] == "run"
    assert template["survey_enabled"] is True and survey(template)


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_the_survey_asks_only_for_documented_variables_the_playbook_reads(template):
    playbook = Path(template["playbook"]).name
    playbook_interface = interface(playbook)
    set_by_template = set(extra_vars(template))
    read_by_template = {
        name for value in extra_vars(template).values() if isinstance(value, str) for name in Expression(value).names
    }
    accepted = playbook_interface.inputs | set(playbook_interface.role_options) | read_by_template
    documented = documented_variables(playbook)
    asked = [question["variable"] for question in survey(template)]
    assert len(asked) == len(set(asked)), f"a variable asked twice: {asked}"
    for name in asked + sorted(set_by_template):
        assert name in accepted, f"{template['name']}: {playbook} does not read {name}"
        assert name in documented, f"{template['name']}: {name} is not documented for {playbook}"


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_the_survey_asks_for_every_variable_the_playbook_needs(template):
    playbook_interface = interface(Path(template["playbook"]).name)
    required_questions = {question["variable"] for question in survey(template) if question["required"]}
    given = required_questions | set(extra_vars(template))
    missing = sorted(playbook_interface.required - given)
    assert not missing, f"{template['name']}: {template['playbook']} needs {missing}; ask for them (required)"


def option_spec(playbook, name):
    playbook_interface = interface(playbook)
    return playbook_interface.role_options.get(name) or playbook_interface.types.get(name)


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_each_question_has_the_type_choices_and_default_of_the_variable(template):
    playbook = Path(template["playbook"]).name
    for question in survey(template):
        name = question["variable"]
        assert question["question_name"] and question.get("question_description"), name
        assert question["type"] != "password", f"{name}: secrets come through credentials, never a survey"
        spec = option_spec(playbook, name)
        if not spec:
            assert question["type"] in {"text", "textarea"}, f"{name}: a playbook-level string"
            continue
        assert question["type"] in SURVEY_TYPES[spec.get("type", "str")], (name, question["type"], spec.get("type"))
        if spec.get("type") == "bool":
            assert sorted(question["choices"]) == ["false", "true"], name
        if spec.get("choices"):
            assert set(question["choices"]) <= {str(choice) for choice in spec["choices"]}, name
        if "default" in question and "default" in spec and name not in interface(playbook).types:
            assert str(question["default"]).lower() == str(spec["default"]).lower(), f"{name}: default differs"


# --- credentials ------------------------------------------------------------------------------------------------------


def test_custom_credential_types_inject_environment_variables_never_extra_vars():
    for credential_type in ASSETS["credential_types"]:
        assert set(credential_type["injectors"]) <= {"env", "file"}, credential_type["name"]
        secret_fields = [field["id"] for field in credential_type["inputs"]["fields"] if field.get("secret")]
        assert secret_fields, f"{credential_type['name']} has no secret field"
        for value in credential_type["injectors"]["env"].values():
            assert set(Expression(value).names) <= {field["id"] for field in credential_type["inputs"]["fields"]}


def test_secrets_are_never_in_the_file():
    for credential in ASSETS["credentials"]:
        for field, value in credential["inputs"].items():
            if SECRET_NAME.search(field) or field == "password":
                assert value == "$encrypted$", f"{credential['name']}.{field} must be $encrypted$ (filled in AWX)"


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_no_secret_travels_as_an_extra_var_or_a_survey_answer(template):
    names = set(extra_vars(template)) | {question["variable"] for question in survey(template)}
    # a variable that NAMES an environment variable (dewey_token_env) carries no secret
    secret_like = sorted(name for name in names if SECRET_NAME.search(name) and not name.endswith("_env"))
    assert not secret_like, f"{template['name']}: {secret_like} would carry a secret; use a credential type"
    assert not template.get("ask_variables_on_launch"), "extra vars at launch would invite secrets"


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=template_id)
def test_every_template_gets_aws_through_the_built_in_credential_type(template):
    credential_types = [credential["credential_type"] for credential in template["related"]["credentials"]]
    assert AWX_BUILT_INS[0] in credential_types


def test_register_gets_the_dewey_token_in_the_variable_it_reads():
    register = next(template for template in JOB_TEMPLATES if template["playbook"] == "playbooks/register.yml")
    dewey_types = [
        credential["credential_type"]
        for credential in register["related"]["credentials"]
        if credential["credential_type"] != AWX_BUILT_INS[0]
    ]
    assert len(dewey_types) == 1
    dewey_type = next(asset for asset in ASSETS["credential_types"] if asset["natural_key"] == dewey_types[0])
    token_env = extra_vars(register).get("dewey_token_env") or role_spec("dewey")["dewey_token_env"]["default"]
    assert list(dewey_type["injectors"]["env"]) == [token_env]


# --- the dynamic inventory and the reap schedule ----------------------------------------------------------------------


def test_the_inventory_source_is_the_pcluster_plugin_with_the_aws_credential():
    (source,) = ASSETS["inventory_sources"]
    assert source["source"] == "scm" and source["source_project"] == ASSETS["projects"][0]["natural_key"]
    path = REPO / source["source_path"]
    assert path.name.endswith(("pcluster.yml", "pcluster.yaml")), "the plugin reads only files named *pcluster.yml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["plugin"] == "daylily.ephemeral_cluster.pcluster"
    assert (REPO / "plugins" / "inventory" / "pcluster.py").is_file()
    assert source["credential"]["credential_type"] == AWX_BUILT_INS[0]
    assert source["update_on_launch"] is True, "expiry must be judged on fresh data"


def test_reap_runs_on_a_schedule_on_the_pcluster_inventory():
    reap = [template for template in JOB_TEMPLATES if template["playbook"] == "playbooks/reap.yml"]
    if not (PLAYBOOKS / "reap.yml").is_file():
        assert not reap, "a template for playbooks/reap.yml, which does not exist"
        return
    (template,) = reap
    assert template["inventory"] == ASSETS["inventory"][0]["natural_key"]
    schedules = template["related"]["schedules"]
    assert schedules and all(schedule["enabled"] for schedule in schedules)
    for schedule in schedules:
        assert schedule["natural_key"]["unified_job_template"] == template["natural_key"]
        rule = rrulestr(schedule["rrule"].replace(" RRULE:", "\nRRULE:"))
        assert rule[1] - rule[0] <= (rule[2] - rule[1]) * 1.0001, "a regular schedule"
        assert not SECRET_NAME.search(" ".join(schedule.get("extra_data") or {}))
