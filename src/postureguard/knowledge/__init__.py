"""The acupressure knowledge base (points, routines, red flags) and the recommender that picks a
routine for a trigger within the user's safety settings.
"""
