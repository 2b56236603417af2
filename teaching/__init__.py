"""The lesson's content: its steps, the numbers each quotes from the data, and the figures it shows."""
