"""`alliance app`: a local web page for cluster managers (Dash; the `app` extra).

    session.py   what a tab works on (scenario, edits, variants, bundle zips), no web framework
    jobs.py      solves and comparisons in worker processes: progress, cancel, results
    views.py     results as page components (tables, figures)
    page.py      the layout and the callbacks; `serve` starts the server

Only `session` and `jobs` are imported without Dash installed; `page` says how to install it.
"""
