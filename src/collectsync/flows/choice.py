"""Which flow a request asks for: a build, a publish, a rollback, the history, or a deploy."""

from __future__ import annotations

from typing import Any

from collectsync.flows.build import Build
from collectsync.flows.deploy import Deploy
from collectsync.flows.history import History
from collectsync.flows.publish_stage import PublishStage
from collectsync.flows.rollback import Rollback
from collectsync.options import CollectInto, Console, Request

Flow = Build | Deploy | PublishStage | Rollback | History
Writing = Deploy | PublishStage | Rollback
"""The flows that write to the remote: the command asks before them."""


def flow_for(
    request: Request, backend: dict[str, Any], console: Console, collect: CollectInto
) -> Flow:
    if request.stage_only:
        return Build(request.stage_only, backend, request, console, collect)
    if request.history:
        return History(backend, request, console)
    if request.publish:
        return PublishStage(request.publish, backend, request, console)
    if request.rollback is not None:
        return Rollback(backend, request, console)
    return Deploy(backend, request, console, collect)
