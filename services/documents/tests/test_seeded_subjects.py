"""The seeded year's subjects differ as real ones do, so that bench/readside.py's searches for words meet
common and rare words: the same seed gives the same subjects, and word frequencies span from nearly every
subject down to a few in a thousand."""

from __future__ import annotations

import re
from collections import Counter

from lienthong.vietnamese import fold
from seeding.subjects import Subjects


def test_the_same_seed_gives_the_same_subjects_and_another_seed_others() -> None:
    first, again, other = Subjects(7), Subjects(7), Subjects(8)
    drawn = [first.next(n) for n in range(200)]
    assert drawn == [again.next(n) for n in range(200)]
    assert drawn != [other.next(n) for n in range(200)]


def test_words_range_from_common_to_rare() -> None:
    subjects = Subjects(1)
    drawn = [fold(subjects.next(n)) for n in range(5_000)]
    assert len(set(re.sub(r"\(so \d+\)", "", s) for s in drawn)) > 1_000  # many distinct subjects
    documents_with = Counter(word for subject in drawn for word in set(re.findall(r"[a-z]+", subject)))
    shares = {word: count / len(drawn) for word, count in documents_with.items()}
    assert shares["ve"] == shares["viec"] == 1.0  # "Về việc" opens every subject
    assert 0.2 < shares["khai"] < 0.5  # "triển khai", the commonest action
    assert min(shares.values()) < 0.01  # and some words are in fewer than one subject in a hundred


def test_an_imported_document_has_a_subject_with_its_own_number() -> None:
    assert re.fullmatch(r"Về việc .+ \(số \d{1,4}\)", Subjects(3).of_imported())
