"""Test harness for libspread: the PHP sandbox server and the seed's PHP curl client."""

from .sandbox import REPO_ROOT, SHARED_DIR, Sandbox, SandboxError

__all__ = ["REPO_ROOT", "SHARED_DIR", "Sandbox", "SandboxError"]
