"""``python -m missmodal`` runs the command line."""

from .cli import main

main()
