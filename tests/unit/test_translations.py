"""The UI speaks Simplified Chinese by default: every message the code and the templates mark for
translation must have a Chinese translation in the catalog. (A template the extractor could not
parse was once skipped silently, leaving the emissions card of every event page in English.)"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _extracted() -> dict[str, set[str]]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):  # the patterns of babel.cfg select the files
        first = message[0] if isinstance(message, tuple) else message
        found.setdefault(first, set()).add(filename)
    assert len(found) > 500, "the extraction found almost nothing: check babel.cfg"
    return found


def test_every_marked_message_has_a_chinese_translation():
    with open(CATALOG, "rb") as po:
        catalog = read_po(po)
    missing = []
    for msgid, where in sorted(_extracted().items()):
        entry = catalog.get(msgid)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            missing.append(f"{msgid!r} ({', '.join(sorted(where))})")
    assert not missing, "untranslated (run `make extract-messages` and translate):\n" + "\n".join(missing)


def test_the_templates_with_extensions_are_extracted():
    """The emissions card uses `{% do %}`; its strings are found only with the extension configured."""
    assert "Emissions and offsets" in _extracted()


def test_every_audit_action_recorded_by_the_services_has_a_title():
    """The event history shows actions in words; a new action without a title would show its code."""
    import re

    from webapp.tasks.titles import ACTION_TITLES

    literal = re.compile(r'audit\.record\([^"\n]*"([a-z_]+\.[a-z_]+)"|_refuse\([^"\n]*"([a-z_]+\.[a-z_]+)"')
    conditional = re.compile(r'"([a-z_]+\.[a-z_]+)" if .* else "([a-z_]+\.[a-z_]+)"')
    recorded: set[str] = set()
    for path in [*ROOT.glob("processes/**/*.py"), *ROOT.glob("webapp/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        for match in (*literal.finditer(text), *conditional.finditer(text)):
            recorded.update(name for name in match.groups() if name)
    recorded |= {"evaluation.neutral", "evaluation.not_neutral"}  # f"evaluation.{conclusion}"
    assert len(recorded) > 40
    assert sorted(recorded - set(ACTION_TITLES)) == []
