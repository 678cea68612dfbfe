"""Review: annotators check, correct and accept generated samples in a web app (``babelforge review``).

The database (:class:`ReviewStore`) and the agreement figures need only the standard library; the
web server needs the ``review`` extra (FastAPI and uvicorn).
"""

from babelforge.review.agreement import agreement_report, cohen_kappa, fleiss_kappa
from babelforge.review.items import item_from_row, items_from_output, stratified_sample
from babelforge.review.outcome import Outcome, acceptance, outcomes
from babelforge.review.report import review_report
from babelforge.review.session import default_db, open_review
from babelforge.review.store import ReviewStore

__all__ = [
    "Outcome",
    "ReviewStore",
    "acceptance",
    "agreement_report",
    "cohen_kappa",
    "default_db",
    "fleiss_kappa",
    "item_from_row",
    "items_from_output",
    "open_review",
    "outcomes",
    "review_report",
    "stratified_sample",
]
