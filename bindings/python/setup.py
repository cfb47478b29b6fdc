"""The wheel's tag: a package carrying libfeaturescatter.so is tied to its platform, not to a Python ABI
(the library is loaded with ctypes), so it is tagged py3-none-<platform> instead of pure Python."""

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"bdist_wheel": PlatformWheel})
