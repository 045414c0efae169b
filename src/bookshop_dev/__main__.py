"""`python -m bookshop_dev`: migrate, load the catalog and serve the shop for development."""

from bookshop_dev.launcher import main

main()
