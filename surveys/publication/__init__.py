"""The monthly open-data publication of survey results.

`services.publish_month` is the one entry point (management command, Celery beat,
demo): it reads a month's responses (rows.py) with dates coarsened to the month
and no contact, token or address, generalises or withholds responses whose group
of quasi-identifiers is smaller than k (generalisation.py), counts the delivery
funnel and breakdowns and suppresses their small cells (suppression.py), and
writes the files once (writers.py) for the public pages (views.py). Residents'
comments are published only as the redacted text a city administrator approved
(comments.py, redaction.py).
"""
