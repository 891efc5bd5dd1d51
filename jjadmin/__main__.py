"""`python -m jjadmin`."""

from jjadmin.cli import main

main()
