"""A task instance's identity on its Shale job: the idempotency key and the labels."""

from __future__ import annotations

import hashlib
import re
from typing import Any

#: What the API accepts as an Idempotency-Key (printable ASCII, no spaces, 1-256 characters).
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,256}$")
#: Label values are at most 256 characters.
_MAX_LABEL_VALUE = 256


def _ti_fields(context: Any) -> tuple[str, str, str, int]:
    ti = context["ti"]
    return ti.dag_id, ti.task_id, context["run_id"] if "run_id" in context else ti.run_id, ti.map_index


def idempotency_key_of(context: Any) -> str:
    """
    ``airflow/<dag_id>/<task_id>/<map_index>/<run_id>``: the same for every try of one task
    instance, so a retry after a lost worker reattaches to the running job, and a retry after a
    FAILED, CANCELLED or TIMED_OUT job runs it again under the same job ID (the server's rule).
    Neither dag_id nor task_id may contain "/", and the run_id comes last: no two task instances
    share a key. A run_id the header cannot carry is replaced by its SHA-256.
    """
    dag_id, task_id, run_id, map_index = _ti_fields(context)
    key = f"airflow/{dag_id}/{task_id}/{map_index}/{run_id}"
    if _KEY_PATTERN.match(key):
        return key
    digest = hashlib.sha256(run_id.encode()).hexdigest()
    return f"airflow/{dag_id}/{task_id}/{map_index}/sha256:{digest}"


def labels_of(context: Any) -> dict[str, str]:
    """
    Labels naming the task instance, for audit and ``shale list --label``. The try number is not
    among them: labels are part of the spec the idempotency key is bound to, so a label that
    changes per try would make every retry a conflicting submit (409).
    """
    dag_id, task_id, run_id, map_index = _ti_fields(context)
    labels = {"dag_id": dag_id, "task_id": task_id, "run_id": run_id}
    if map_index >= 0:
        labels["map_index"] = str(map_index)
    return {k: v[:_MAX_LABEL_VALUE] for k, v in labels.items()}
