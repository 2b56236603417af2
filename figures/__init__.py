"""Presentation: the plotly figures of every view and their PNG export, with the colours they share.
They draw what `core` computes; `core` never imports them."""
