"""`python -m bookshop`."""

from .cli import main

main()
