"""``python -m tnrnn``: the ``tnrnn`` command (`tnrnn.cli.main`)."""

from tnrnn.cli import main

if __name__ == "__main__":  # importing this module (e.g. by documentation tools) runs nothing
    raise SystemExit(main())
