"""Which flow a request asks for: a build, a publish, a rollback, the history, or a deploy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectsync.flows.build import Build
from collectsync.flows.deploy import Deploy
from collectsync.flows.publish_stage import PublishStage
from collectsync.options import CollectInto, Console, Request

if TYPE_CHECKING:
    from collectsync.flows.history import History
    from collectsync.flows.rollback import Rollback

    Flow = Build | Deploy | PublishStage | Rollback | History


def flow_for(
    request: Request, backend: dict[str, Any], console: Console, collect: CollectInto
) -> Flow:
    if request.stage_only:
        return Build(request.stage_only, backend, request, console, collect)
    if request.publish:
        return PublishStage(request.publish, backend, request, console)
    # Imported when asked for: the deploy that finds nothing changed pays for every import.
    if request.history:
        from collectsync.flows.history import History

        return History(backend, request, console)
    if request.rollback is not None:
        from collectsync.flows.rollback import Rollback

        return Rollback(backend, request, console)
    return Deploy(backend, request, console, collect)
