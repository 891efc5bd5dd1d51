"""The JSON glossary itself (rules/glossary.py)."""

from jjadmin.rules.glossary import GLOSSARY, RETIRED, unknown_keys


def test_retired_words_point_to_words_of_the_glossary() -> None:
    assert all(new in GLOSSARY and old not in GLOSSARY for old, new in RETIRED.items())


def test_unknown_and_retired_keys_are_found_free_maps_are_not_walked() -> None:
    doc = {"ok": True, "items": [{"principal": True, "naem": 1, "after": {"anything": 1}}]}
    assert unknown_keys(doc) == ["items[].principal", "items[].naem"]
