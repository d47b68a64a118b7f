"""Domain and workflow services. No Flask request objects here: the web pages, the JSON API and
the CLI all call these functions."""
