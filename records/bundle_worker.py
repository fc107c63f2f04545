"""A process that checks shares of a bundle's entries for :func:`records.bundle.verify_bundle`.

It reads pickles from its standard input: first the rules, then lists of entries; it answers
each list with the list of results, pickled on its standard output, and ends at end of input.
Only :func:`records.bundle_entries.check_entries` starts it, with what it pickled itself.
"""

from __future__ import annotations

import gc
import pickle
import sys

from records.bundle_entries import EntryChecker


def main() -> None:
    gc.disable()  # nothing here makes reference cycles
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    checker = EntryChecker(pickle.load(source))  # noqa: S301 (from verify_bundle, our parent)
    while True:
        try:
            items = pickle.load(source)  # noqa: S301
        except EOFError:
            return
        pickle.dump(checker.check(items), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    main()
