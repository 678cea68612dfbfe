"""Review samples in the scripts that break annotation tools: emoji (with ZWJ and skin tones), CJK,
Thai (no spaces), combining marks, right-to-left (Arabic, Hebrew), Devanagari; plus injected HTML."""

from __future__ import annotations

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def _record(rid: str, language: str, text: str, *marked: tuple[str, str]) -> dict:
    spans = []
    for surface, label in marked:
        start = text.index(surface)
        spans.append([start, start + len(surface), label])
    return {"id": rid, "lang": language, "text": text, "spans": spans}


RECORDS = [
    _record("emoji", "en", "👩🏽‍🚀 Ada 🚀 flew to Paris with 👨‍👩‍👧 NASA", ("Paris", "LOC"), ("NASA", "ORG")),
    _record("cjk", "zho_Hans", "李白出生于碎叶城，后来住在长安。", ("李白", "PER"), ("长安", "LOC")),
    _record("thai", "th", "นายสมชายเดินทางไปกรุงเทพมหานครเมื่อวาน", ("สมชาย", "PER"), ("กรุงเทพมหานคร", "LOC")),
    _record("arabic", "ar", "زار محمد القاهرة مع شركة أرامكو 🚀 أمس", ("محمد", "PER"), ("القاهرة", "LOC")),
    _record("hebrew", "he", "דוד נסע לירושלים עם Google ביום שני", ("דוד", "PER"), ("Google", "ORG")),
    _record("devanagari", "hi", "प्रधानमंत्री नरेन्द्र मोदी ने दिल्ली में भाषण दिया।", ("नरेन्द्र मोदी", "PER"), ("दिल्ली", "LOC")),
    _record("combining", "vi", "Ông Nguyễn Văn Á sống ở Hà Nội", ("Nguyễn Văn Á", "PER"), ("Hà Nội", "LOC")),
    _record("xss", "en", f"Alice wrote {XSS} in Berlin", ("Alice", "PER"), ("Berlin", "LOC")),
]
