"""Suite-wide setup: register the Hypothesis profiles and make `ci` the default.

`pytest --hypothesis-profile=dev` (or `nightly`) selects another one: Hypothesis's pytest
plugin loads the named profile after this file has registered it.
"""

from hypothesis import settings

from replicheck.stateful.profiles import DEFAULT_TEST_PROFILE, register_profiles

register_profiles()
settings.load_profile(DEFAULT_TEST_PROFILE)
