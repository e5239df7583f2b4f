"""Builds the include folder that points lm-eval's own task configs at local JSONL files:
the files `bitbudget eval --data-dir` reads (../shared/data/lm-eval, and for hellaswag the
hand-made rows of tests/fixtures/tasks). endpoint/lm_eval_endpoint.py --data-dir evaluates
through it offline; the parity suite (tests/parity) runs lm-eval on it.

Each task's YAML files and Python helpers are copied from the installed lm-eval verbatim;
the only lines changed are the dataset source: `dataset_path` becomes `json`,
`dataset_name` becomes null, and `dataset_kwargs.data_files` names the local file of each
split. The YAML is edited as text, so lm-eval's `!function` tags stay as written.
mmlu's 57 subjects each read their own rows: the shared mmlu.test.jsonl holds all
subjects, so it is split by its `subject` field (rows kept in order) into the folder.

A task whose rows are not in the data folder is left out of the include folder (lm-eval
then names it as not found).

Run alone (`python endpoint/lm_eval_tasks.py DATA_DIR OUT_DIR`) it writes the folder for
`lm_eval --include_path OUT_DIR` (README, "Under real lm-eval")."""
import json
import os
import re
import shutil

import lm_eval

TASK_ROOT = os.path.join(os.path.dirname(lm_eval.__file__), "tasks")

# task folder in lm-eval, its files, the splits its YAML names, the local rows (the file
# names bitbudget's C tasks read, engine/tasks/task_*.c). Every split a YAML names must exist
# when lm-eval builds the task (it makes its few-shot sampler from the training split even
# at zero shots); all of them read the evaluated rows, and zero-shot runs never draw from
# the others.
TASKS = {
    "lambada": (["lambada_openai.yaml"], ["test"], "lambada_openai.test.jsonl"),
    "piqa": (["piqa.yaml"], ["train", "validation"], "piqa.validation.jsonl"),
    "winogrande": (["default.yaml", "preprocess_winogrande.py"], ["train", "validation"],
                   "winogrande.validation.jsonl"),
    "hellaswag": (["hellaswag.yaml", "utils.py"], ["train", "validation"],
                  "hellaswag.validation.jsonl"),
}


def data_files_yaml(files):
    lines = ["dataset_kwargs:", "  data_files:"]
    lines += [f"    {split}: {json.dumps(os.path.abspath(path))}"
              for split, path in files.items()]
    return "\n".join(lines) + "\n"


def point_at_local(text, files):
    """text with its dataset source replaced by files ({split: path})."""
    text = re.sub(r'(?m)^"?dataset_path"?:.*$', "dataset_path: json", text)
    text = re.sub(r'(?m)^"?dataset_name"?:.*$', "dataset_name: null", text)
    if not text.endswith("\n"):
        text += "\n"
    return text + data_files_yaml(files)


def copy_task(folder, names, splits, rows, out):
    dest = os.path.join(out, folder)
    os.makedirs(dest, exist_ok=True)
    for name in names:
        src = os.path.join(TASK_ROOT, folder, name)
        if name.endswith(".py"):
            shutil.copy(src, dest)
            continue
        with open(src) as f:
            text = f.read()
        with open(os.path.join(dest, name), "w") as f:
            f.write(point_at_local(text, {split: rows for split in splits}))


def split_mmlu(out, data_dir):
    """One JSONL file per subject, rows in the shared file's order."""
    by_subject = {}
    with open(os.path.join(data_dir, "mmlu.test.jsonl")) as f:
        for line in f:
            by_subject.setdefault(json.loads(line)["subject"], []).append(line)
    os.makedirs(out, exist_ok=True)
    for subject, lines in by_subject.items():
        with open(os.path.join(out, f"{subject}.jsonl"), "w") as f:
            f.writelines(lines)
    return by_subject.keys()


def copy_mmlu(out, data_dir):
    src, dest = os.path.join(TASK_ROOT, "mmlu", "default"), os.path.join(out, "mmlu")
    rows = os.path.join(out, "mmlu-rows")
    subjects = split_mmlu(rows, data_dir)
    os.makedirs(dest, exist_ok=True)
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name)) as f:
            text = f.read()
        subject = re.search(r'(?m)^"?dataset_name"?: "?(\w+)"?$', text)
        if subject:
            if subject.group(1) not in subjects:
                raise RuntimeError(f"mmlu subject {subject.group(1)} has no rows in the data")
            path = os.path.join(rows, f"{subject.group(1)}.jsonl")
            text = point_at_local(text, {"test": path, "dev": path})
        elif "dataset_path" in text:
            text = re.sub(r'(?m)^"?dataset_path"?:.*$', "dataset_path: json", text)
        with open(os.path.join(dest, name), "w") as f:
            f.write(text)


def build_include_folder(out, data_dir):
    """The include folder in out, reading the rows from data_dir (a folder holding the
    files bitbudget eval --data-dir reads)."""
    os.makedirs(out, exist_ok=True)
    for folder, (names, splits, file) in TASKS.items():
        rows = os.path.join(data_dir, file)
        if os.path.isfile(rows):
            copy_task(folder, names, splits, rows, out)
    if os.path.isfile(os.path.join(data_dir, "mmlu.test.jsonl")):
        copy_mmlu(out, data_dir)
    return out


TASK_NAMES = ["lambada_openai", "piqa", "winogrande", "hellaswag", "mmlu"]


def load_tasks(include):
    """{task name: lm-eval Task} for the five tasks (mmlu as its 57 subjects), from the
    include folder only."""
    from lm_eval.tasks import TaskManager
    manager = TaskManager(include_path=include, include_defaults=False)
    return manager.load(TASK_NAMES)["tasks"]


def request_strings(include):
    """Every distinct context and continuation of every document of the five tasks, as
    lm-eval's own requests hold them (descriptions and delimiters included)."""
    strings = set()
    for task in load_tasks(include).values():
        task.build_all_requests(limit=None, rank=0, world_size=1)
        for inst in task.instances:
            strings.update(inst.arguments[:2])
    return sorted(strings)


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        sys.exit("usage: lm_eval_tasks.py DATA_DIR OUT_DIR   (DATA_DIR: the task rows, as "
                 "bitbudget eval --data-dir)")
    print(build_include_folder(sys.argv[2], sys.argv[1]))
