"""The progress callback: every retry of an until loop prints the module's progress line, with any stdout callback."""

import os
import subprocess
import sys
import textwrap

from ansible_collections.daylily.ephemeral_cluster.plugins.callback.progress import progress_message

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

# A module that reports a growing count: done on its third call (the count lives in a file beside the playbook).
COUNTING_MODULE = textwrap.dedent(
    """
    #!/usr/bin/python
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec=dict(state_file=dict(type="path", required=True)))
    path = module.params["state_file"]
    try:
        count = int(open(path).read())
    except OSError:
        count = 0
    count += 1
    open(path, "w").write(str(count))
    module.exit_json(changed=False, done=count >= 3, progress="%d of 3 jobs done" % count)
    """
)
PLAYBOOK = textwrap.dedent(
    """
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Wait for the jobs
          counting:
            state_file: "{{ playbook_dir }}/count"
          register: jobs
          until: jobs.done
          retries: 5
          delay: 0
    """
)


def run_playbook(tmp_path, stdout_callback, enabled=True):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "counting.py").write_text(COUNTING_MODULE, encoding="utf-8")
    (tmp_path / "wait.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK=stdout_callback,
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    if not enabled:  # the repository's settings without callbacks_enabled
        config = tmp_path / "ansible.cfg"
        config.write_text(
            "[defaults]\ncollections_path = %s\n" % os.path.join(ROOT, ".build", "collections"), encoding="utf-8"
        )
        env["ANSIBLE_CONFIG"] = str(config)
    done = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "wait.yml",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_each_retry_prints_the_modules_progress_line(tmp_path):
    output = run_playbook(tmp_path, "default")
    assert "progress: [localhost] Wait for the jobs: 1 of 3 jobs done\n" in output
    assert "progress: [localhost] Wait for the jobs: 2 of 3 jobs done\n" in output
    assert "3 of 3 jobs done" not in output  # the last call succeeds: no retry, no progress line


def test_the_lines_come_with_any_stdout_callback_and_only_when_enabled(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert "progress: [localhost] Wait for the jobs: 2 of 3" in run_playbook(tmp_path / "a", "ansible.builtin.minimal")
    assert "progress:" not in run_playbook(tmp_path / "b", "default", enabled=False)


def test_a_result_without_progress_prints_nothing():
    assert progress_message("t", "h", {"attempts": 1}) is None
    assert progress_message("t", "h", "not a dict") is None
    assert progress_message("t", "h", {"progress": "x"}) == "progress: [h] t: x"
