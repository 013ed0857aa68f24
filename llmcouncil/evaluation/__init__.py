"""Evaluation: does the council beat its own members, select-best and Self-MoA on your questions?

``dataset`` (JSONL/CSV and the starter set), ``strategies`` (what is compared), ``execution``
(each call a run of the ordinary run machinery), ``judging`` (the judges' prompt and verdicts,
exact/numeric match), ``stats`` (win/tie/loss, paired bootstrap, agreement), ``harness``
(resumable, bounded), ``report`` / ``html`` (JSON, HTML), ``jobs`` (where an evaluation runs).
"""

from llmcouncil.evaluation.dataset import DatasetError, EvalItem, load_dataset, starter_dataset
from llmcouncil.evaluation.harness import EvaluationHarness, EvaluationPlan, Progress
from llmcouncil.evaluation.repository import EvaluationStore

__all__ = [
    "DatasetError",
    "EvalItem",
    "EvaluationHarness",
    "EvaluationPlan",
    "EvaluationStore",
    "Progress",
    "load_dataset",
    "starter_dataset",
]
