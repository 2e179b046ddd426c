"""Stage `auth`: the authorization directives (@authenticated, @requiresScopes, @policy;
router/auth/authorization.py) checked per request before any fetch. Which policies a caller is
granted is the `policy` stage's answer: MOSAIC_ROUTER_POLICY_HOOK's function (every policy
denied without one), wrapped like any stage by `@hook("policy")` hooks.

Most operations touch nothing guarded (`Executable.guards` is None) and pass through. Otherwise
the guards the caller does not pass are removed from the plan — the restricted plan is made
once per set of refused guards and kept with the Executable — and each removed selection is
answered null with an UNAUTHORIZED_FIELD_OR_TYPE error at its path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from router.auth import authorization
from router.auth.policy import PolicyHook, load_policy_hook
from router.executor.merge import Representations
from router.pipeline.plan import Plan
from router.pipeline.types import Executable, ExecutionRequest, PolicyCheck
from router.planner import QueryPlan
from router.settings import RouterSettings

DecidePolicies = Callable[[PolicyCheck], Awaitable[frozenset[str]]]


class Policies:
    """The `policy` stage without hooks: MOSAIC_ROUTER_POLICY_HOOK, else nothing granted."""

    def __init__(self, settings: RouterSettings) -> None:
        self.hook: PolicyHook | None = load_policy_hook(settings.policy_hook)

    async def __call__(self, check: PolicyCheck) -> frozenset[str]:
        if self.hook is None:
            return frozenset()
        return await self.hook(check.policies, check.claims)


class Authorize:
    def __init__(self, plan: Plan, decide: DecidePolicies) -> None:
        self.plan = plan
        self.decide = decide  # the `policy` stage, with its hooks

    async def __call__(self, operation: ExecutionRequest) -> ExecutionRequest:
        executable = operation.executable
        guards = executable.guards
        if guards is None:
            return operation
        refused = await self._refused(guards, operation)
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

    async def _refused(
        self, found: authorization.Guards, operation: ExecutionRequest
    ) -> tuple[int, ...]:
        """The guards this caller does not pass (policies asked of the `policy` stage)."""
        claims = operation.request.claims
        granted: frozenset[str] = frozenset()
        if found.policies:
            decided = await self.decide(PolicyCheck(found.policies, claims, operation.request))
            granted = frozenset(decided) & found.policies  # a hook cannot grant what no one asked
        caller = authorization.Caller(
            authenticated=claims is not None,
            scopes=claims.scopes if claims is not None else frozenset(),
            policies=granted,
        )
        return authorization.denied(found, caller)
