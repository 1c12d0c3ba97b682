"""Checks of a chosen plan outside the planning model: the full year (:mod:`.fullyear`), whose
dispatch LP is built as matrices (:mod:`.dispatch`)."""
