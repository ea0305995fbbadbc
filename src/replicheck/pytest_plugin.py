"""pytest plugin (entry point `pytest11`): collects saved regression cases.

Being built: see the regression-suite issue.
"""
