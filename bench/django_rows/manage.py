#!/usr/bin/env python
"""Django's side of `migrate-bench rows`: the same table and operations, as Django models."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rowsbench.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
