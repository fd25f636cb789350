"""Test harness for libspread: the PHP sandbox server and the seed's PHP curl client."""

from .sandbox import REPO_ROOT, Sandbox, SandboxError

__all__ = ["REPO_ROOT", "Sandbox", "SandboxError"]
