"""``python -m slooh_async`` works like the ``slooh`` command."""

from .cli import main

if __name__ == "__main__":
    main()
