"""Stage `auth`: the authorization directives (@authenticated, @requiresScopes, @policy;
router/auth/authorization.py) checked per request before any fetch.

Most operations touch nothing guarded (`Executable.guards` is None) and pass through. Otherwise
the guards the caller does not pass are removed from the plan — the restricted plan is made
once per set of refused guards and kept with the Executable — and each removed selection is
answered null with an UNAUTHORIZED_FIELD_OR_TYPE error at its path.
"""

from __future__ import annotations

from dataclasses import replace

from router.auth import authorization
from router.auth.jwt import Claims
from router.auth.policy import PolicyHook, load_policy_hook
from router.executor.merge import Representations
from router.pipeline.plan import Plan
from router.pipeline.types import Executable, ExecutionRequest
from router.planner import QueryPlan
from router.settings import RouterSettings


class Authorize:
    def __init__(self, settings: RouterSettings, plan: Plan) -> None:
        self.plan = plan
        self.policy_hook: PolicyHook | None = load_policy_hook(settings.policy_hook)

    async def __call__(self, operation: ExecutionRequest) -> ExecutionRequest:
        executable = operation.executable
        guards = executable.guards
        if guards is None:
            return operation
        refused = await self._refused(guards, operation.request.claims)
        if not refused:
            return operation
        restricted = executable.restricted.get(refused)
        if restricted is None:
            restricted = self._restrict(executable, guards, refused)
            executable.restricted[refused] = restricted
        errors = (*operation.errors, *authorization.errors(guards, refused))
        return replace(operation, executable=restricted, errors=errors)

    def _restrict(
        self, executable: Executable, guards: authorization.Guards, refused: tuple[int, ...]
    ) -> Executable:
        assert executable.planning is not None
        operation = authorization.restrict(executable.planning, guards, refused)
        plan: QueryPlan | None = None
        representations: dict[int, Representations] = {}
        if operation.selections:
            plan, representations = self.plan.compile(operation, executable.labels)
        return replace(
            executable, plan=plan, representations=representations, guards=None, restricted={}
        )

    async def _refused(self, found: authorization.Guards, claims: Claims | None) -> tuple[int, ...]:
        """The guards this caller does not pass (policies asked of the policy hook)."""
        granted: frozenset[str] = frozenset()
        if found.policies and self.policy_hook is not None:
            granted = await self.policy_hook(found.policies, claims)
        caller = authorization.Caller(
            authenticated=claims is not None,
            scopes=claims.scopes if claims is not None else frozenset(),
            policies=granted,
        )
        return authorization.denied(found, caller)
