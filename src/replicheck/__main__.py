"""`python -m replicheck` is the same as the `replicheck` console script."""

from replicheck.cli import main

if __name__ == "__main__":
    main()
