"""Reference runners: each counts one job under its own virtualenv and reports its timings as JSON.

They import the independent implementations (abcvoting, pref_voting, sortition-algorithms), which
the project never does; ``bench/methods.py`` runs them in processes of their own.
"""
