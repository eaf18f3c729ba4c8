"""Benchmark the name guard: a 2,000-pupil roster, a 280-character caption and four alt texts.

Run from the repository root:  .venv/bin/python benchmarks/guard.py [--runs 200]

"guard, roster unchanged" is the usual case (the phone checks as the teacher types; the roster's
index is kept while the roster is the same). "guard, roster changed" rebuilds the index each time.
The peer, in the same run, is the simplest possible check: one whole-word regular expression over
every roster name on the case-folded text (roughly what the caption check did before the guard).
Target: the guard under 20 ms a post.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tripposter.pipeline.name_guard import OutgoingText, guard  # noqa: E402
from tripposter.pipeline.names import RosterName, name_index  # noqa: E402
from tripposter.pipeline.wordlists import dictionary  # noqa: E402

FIRST = ("Isla Amara Olivia Zainab Freddie Mateusz Siobhan Kwame Priya Oskar Grace Hope Will May Ben Noah Leo Aisha "
         "Yusuf Chloe Evie Harper Theo Arthur Ivy Ruby Maya Zara Omar Ali").split()
LAST = ("Ahmed Okafor Kowalski Nguyen Fitzgerald Haddad Petrova Achebe Lindqvist Okonkwo Baker Hill Brown Smith Jones "
        "Patel Khan Singh Taylor Wilson Evans Thomas Roberts Walker Wright Hughes Green Wood Hall Clarke").split()
CAPTION = ("Year 6 had a brilliant morning at the Science Museum! We built rockets, tested parachutes and learned how "
           "engines work. Thank you to the museum staff for a fantastic workshop. #Y6Science #SchoolTrip "
           "https://oak.sch.uk/trips more photos on the website soon, well done everyone")[:280]
ALTS = ("Children in blue hats launching a paper rocket in a hall", "A group watching a parachute fall from a balcony",
        "Two pupils holding a model engine, faces blurred", "The class waving outside the museum entrance")


def roster(size: int, seed: int = 1) -> tuple[RosterName, ...]:
    rng = random.Random(seed)
    return tuple(RosterName(i, rng.choice(FIRST) + ("" if i < 60 else str(i)), rng.choice(LAST) + f"{chr(97 + i % 26)}")
                 for i in range(size))


def fields() -> list[OutgoingText]:
    return [OutgoingText("The caption", CAPTION), *(OutgoingText(f"Photo {n}", alt) for n, alt in enumerate(ALTS, 1))]


def peer(people: tuple[RosterName, ...]) -> Callable[[], int]:
    names = {n.casefold() for p in people for n in (p.first_name, p.last_name)}
    pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    texts = [f.text.casefold() for f in fields()]
    return lambda: sum(len(pattern.findall(t)) for t in texts)


def timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--pupils", type=int, default=2000)
    args = parser.parse_args()
    people = roster(args.pupils)
    start = time.perf_counter()
    dictionary()
    guard(fields(), people, first_names_allowed=False)
    first = (time.perf_counter() - start) * 1000
    rows = [
        ("guard, roster unchanged", timed(lambda: guard(fields(), people, first_names_allowed=False), args.runs)),
        ("guard, roster changed", timed(lambda: (name_index.cache_clear(), guard(fields(), people, first_names_allowed=False)),
                                        max(20, args.runs // 10))),
        ("peer: one regex, whole words", timed(peer(people), args.runs)),
    ]
    print(f"{args.pupils} pupils, caption {len(CAPTION)} chars + {len(ALTS)} alt texts; first call (word list load) {first:.0f} ms")
    print(f"{'check':32} {'median ms':>10} {'p95 ms':>10}")
    for name, (median, p95) in rows:
        print(f"{name:32} {median:10.2f} {p95:10.2f}")
    ratio = rows[0][1][0] / max(rows[2][1][0], 1e-6)
    print(f"guard / peer (median): {ratio:.1f}x; target under 20 ms: {'met' if rows[0][1][0] < 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
