"""The study itself: its model and folder, the spec, the steps, the findings and the words.

Everything here is vocabulary the other packages share; it imports none of them.
"""
