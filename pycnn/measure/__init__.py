"""Measuring a model: accuracy reports and their pictures."""
