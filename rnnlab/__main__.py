"""``python -m rnnlab``: the ``rnnlab`` command line (see :mod:`rnnlab.cli`).

Example:
    $ python -m rnnlab chapter --quick --out /tmp/chapter
"""

from rnnlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
