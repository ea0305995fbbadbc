"""Where the example database lives: a local folder (the default) or a shared Redis.

A `DatabaseSpec` is a picklable description, opened where a chunk runs (a Dask worker
cannot be handed a live Redis connection). Redis keys are namespaced by target,
configuration and engine version: Hypothesis's database key for the campaign is the state
machine's digest, the same for every configuration, so without the namespace one flaw's
failure would be replayed against another configuration, and a choice sequence recorded by
another engine version would decode to a different scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

#: URL schemes that name a Redis server (rediss: over TLS)
REDIS_SCHEMES = ("redis", "rediss")
#: how long a saved example survives in Redis without being replayed (Hypothesis's default)
REDIS_EXPIRE_DAYS = 8


class DatabaseError(ValueError):
    """`--database` names something unusable: wrong URL, server down, client missing."""


@dataclass(frozen=True)
class DatabaseSpec:
    """An example database to open: `kind` "directory" (a folder) or "redis" (a URL)."""

    kind: Literal["directory", "redis"]
    location: str
    #: per-campaign namespace (Redis key prefix, or sub-folder); set by `for_campaign`
    namespace: str = ""

    def for_campaign(self, target: str, config_digest: str, engine: str) -> DatabaseSpec:
        """This database narrowed to one (target, configuration, engine version).

        Directory databases keep the layout `hunt` has always used (one folder per
        configuration); Redis databases get a key prefix with all three parts.
        """
        if self.kind == "directory":
            return replace(self, namespace=config_digest)
        return replace(self, namespace=f"replicheck:{target}:{config_digest}:{engine}:")

    def describe(self) -> str:
        if self.kind == "directory":
            return str(Path(self.location) / self.namespace)
        return f"{redact(self.location)} (keys {self.namespace}*)"

    def open(self) -> ExampleDatabase:
        if self.kind == "directory":
            return DirectoryBasedExampleDatabase(str(Path(self.location) / self.namespace))
        return open_redis(self.location, self.namespace)


def redact(url: str) -> str:
    """The URL without its password (it is printed in notes and summaries)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}{port}").geturl()


def parse_database(value: str) -> DatabaseSpec:
    """`redis://host:port/db` (or rediss://) for Redis; anything else is a folder."""
    scheme = urlsplit(value).scheme
    if scheme not in REDIS_SCHEMES:
        if "://" in value:
            raise DatabaseError(f"{value}: expected redis://host:port/db or a folder")
        return DatabaseSpec("directory", value)
    parts = urlsplit(value)
    if not parts.hostname:
        raise DatabaseError(f"{redact(value)}: expected redis://host:port/db (no host)")
    try:
        parts.port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError:
        raise DatabaseError(f"{redact(value)}: the port must be a number 0-65535") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise DatabaseError(f"{redact(value)}: the database must be a number (…/0)")
    return DatabaseSpec("redis", value)


def open_redis(url: str, namespace: str) -> ExampleDatabase:
    """Hypothesis's own RedisExampleDatabase on `url`, keys prefixed with `namespace`."""
    from datetime import timedelta

    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise DatabaseError(
            "--database redis://… needs the Redis client: pip install 'replicheck[redis]'"
        ) from None
    client = redis.Redis.from_url(url)
    return RedisExampleDatabase(
        client,
        expire_after=timedelta(days=REDIS_EXPIRE_DAYS),
        key_prefix=namespace.encode(),
        listener_channel=f"{namespace}changes",
    )


def check_reachable(spec: DatabaseSpec, timeout_s: float = 5.0) -> None:
    """Fail before the campaign starts if the Redis server cannot be reached."""
    if spec.kind != "redis":
        return
    try:
        import redis
    except ImportError:
        raise DatabaseError(
            "--database redis://… needs the Redis client: pip install 'replicheck[redis]'"
        ) from None
    client = redis.Redis.from_url(
        spec.location, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise DatabaseError(f"{redact(spec.location)}: cannot reach Redis ({error})") from None
    finally:
        client.close()
