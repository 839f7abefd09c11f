"""The Data step (Tip 4): readers for every format, sample sheets, the profile, roles and the personal-data scan."""
