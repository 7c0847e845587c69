"""The HTML report of a build (`mathpref report --html`): plots, analyses, evaluation."""
