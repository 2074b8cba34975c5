"""Resolving several annotations of an item into one label: a majority tie goes to the more gold-accurate side; gold
weights can outvote a majority."""
from activelens.storage.resolution import resolve_votes


def test_resolve_votes_majority_ties_and_gold_weighted():
    assert resolve_votes([("good1", "a"), ("bad", "b")], {"good1": 0.75, "bad": 0.25}, "majority") == "a"
    assert resolve_votes([("bad", "b"), ("bad2", "b"), ("good", "a")], {"good": 0.9, "bad": 0.1, "bad2": 0.1},
                         "gold_weighted") == "a"
