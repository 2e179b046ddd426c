"""Categories: a tree (parent, children) addressed by id or slug; admins edit it.

Concurrent edits keep the tree a tree: moves (parent changes) run one at a time under a
tree-wide lock taken first, so two crossing moves (A under B, B under A) cannot both pass the
cycle check. A category being written or deleted is locked FOR UPDATE and a parent FOR SHARE
(PostgreSQL), so a child is never added to a category that is being deleted; on SQLite the
write transaction holds the database's write lock from its first read.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import Actor, CategoryInput, CategoryPatch
from subgraphs.catalog.models import Category, Product, utcnow
from subgraphs.catalog.service.base import (
    check_slug,
    lock_row,
    require_admin,
)
from subgraphs.common.checks import check_text
from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.unit_of_work import UnitOfWork
from subgraphs.common.writes import lock_key


async def get_category(session: AsyncSession, category_id: str) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound(f"no category with id {category_id!r}")
    return category


async def category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.slug == slug))


async def list_categories(session: AsyncSession, parent_id: str | None = None) -> list[Category]:
    """Children of `parent_id`, or the roots of the tree when it is None; by name."""
    condition = (
        Category.parent_id.is_(None) if parent_id is None else (Category.parent_id == parent_id)
    )
    rows = await session.scalars(select(Category).where(condition).order_by(Category.name))
    return list(rows)


async def subtree_ids(session: AsyncSession, root_id: str) -> list[str]:
    """The ids of a category and all its descendants (one query; the tree is small)."""
    pairs = (await session.execute(select(Category.id, Category.parent_id))).all()
    children: dict[str | None, list[str]] = {}
    for category_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(category_id)
    found, stack = [], [root_id]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        if current in seen:  # only a corrupt tree has a cycle; never loop on one
            continue
        seen.add(current)
        found.append(current)
        stack.extend(children.get(current, ()))
    return found


async def _check_parent(session: AsyncSession, category_id: str | None, parent_id: str) -> None:
    if category_id is not None and parent_id in await subtree_ids(session, category_id):
        raise BadUserInput("a category cannot be moved below itself or its descendants")
    parent = await session.scalar(
        select(Category.id).where(Category.id == parent_id).with_for_update(read=True)
    )
    if parent is None:
        raise BadUserInput(f"no parent category with id {parent_id!r}")


async def _check_slug_free(session: AsyncSession, slug: str, own_id: str | None = None) -> None:
    taken = await session.scalar(select(Category.id).where(Category.slug == slug))
    if taken is not None and taken != own_id:
        raise Conflict(f"the slug {slug!r} is taken")


async def create_category(session: AsyncSession, actor: Actor, data: CategoryInput) -> Category:
    require_admin(actor)
    name = check_text(data.name, "name", max_length=200)
    slug = check_slug(data.slug)
    async with UnitOfWork(session, actor):
        await _check_slug_free(session, slug)
        if data.parent_id is not None:
            await _check_parent(session, None, data.parent_id)
        category = Category(name=name, slug=slug, parent_id=data.parent_id)
        session.add(category)
        try:
            await session.flush()
        except IntegrityError as error:
            raise Conflict(f"the slug {slug!r} is taken") from error
    return category


async def update_category(
    session: AsyncSession, actor: Actor, category_id: str, patch: CategoryPatch
) -> Category:
    require_admin(actor)
    async with UnitOfWork(session, actor):
        if patch.parent_id is not None and not patch.clear_parent:
            await lock_key(session, "catalog", "category-tree")  # before any row lock
        category = await lock_row(session, Category, category_id, "category")
        if patch.name is not None:
            category.name = check_text(patch.name, "name", max_length=200)
        if patch.slug is not None:
            slug = check_slug(patch.slug)
            await _check_slug_free(session, slug, category.id)
            category.slug = slug
        if patch.clear_parent:
            category.parent_id = None
        elif patch.parent_id is not None:
            await _check_parent(session, category.id, patch.parent_id)
            category.parent_id = patch.parent_id
        category.updated_at = utcnow()
        try:
            await session.flush()
        except IntegrityError as error:
            raise Conflict("the slug is taken") from error
    return category


async def delete_category(session: AsyncSession, actor: Actor, category_id: str) -> str:
    """Delete an empty leaf category; one with children or products is a CONFLICT."""
    require_admin(actor)
    async with UnitOfWork(session, actor):
        category = await lock_row(session, Category, category_id, "category")
        has_children = await session.scalar(
            select(exists().where(Category.parent_id == category_id))
        )
        if has_children:
            raise Conflict("the category has subcategories; move or delete them first")
        products = await session.scalar(
            select(func.count()).select_from(Product).where(Product.category_id == category_id)
        )
        if products:
            raise Conflict(f"the category still holds {products} product(s)")
        await session.delete(category)
    return category_id
