#!/usr/bin/env python3
"""django-tenants' side of `migrate-bench fleet`: the shop's tenant apps as Django models."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dtbench.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
