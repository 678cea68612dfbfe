"""``review stats`` prints what annotators wrote as text, never as Rich markup."""

from babelforge.cli.console import out
from babelforge.cli.review_tables import print_report


def test_markup_in_annotator_names_and_reasons_is_printed_as_written():
    figures = {"items": 1, "fleiss_kappa": None, "cohen_kappa_mean": None, "span_f1": None}
    report = {
        "reviewed": 1, "items": 1,
        "annotators": {"[/bold]ana": {"accept": 0, "reject": 1, "skip": 0}},
        "acceptance": [{"method": "[red]m", "language": "eng_Latn", "accepted": 0, "rejected": 1, "rate": 0.0}],
        "reject_reasons": {"wrong [/] label": 1},
        "agreement": {"items_with_overlap": 0, "overall": figures, "languages": {}, "labels": {}},
    }  # fmt: skip
    with out.capture() as captured:
        print_report(report)
    text = captured.get()
    assert "[/bold]ana" in text
    assert "wrong [/] label" in text
    assert "[red]m" in text
