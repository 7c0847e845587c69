"""Releases: a build frozen into a folder laid out as a Hub dataset repo (see `release_build`)."""

from mathpref.release.options import ReleaseOptions
from mathpref.release.run import release_build

__all__ = ["ReleaseOptions", "release_build"]
