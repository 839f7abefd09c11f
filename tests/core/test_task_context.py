"""The task context: one object carries progress, stop, pause and epochs to long core work."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from guiapp.core.study.errors import Cancelled
from guiapp.core.study.task_context import NO_CONTEXT, StopFlag, TaskContext


def test_the_default_context_listens_to_nothing_and_never_stops():
    NO_CONTEXT.report(0.5, "half way")
    NO_CONTEXT.check()
    NO_CONTEXT.epoch({"epoch": 1})
    assert not NO_CONTEXT.stop_requested() and not NO_CONTEXT.pause_requested()
    assert NO_CONTEXT.hold_while_paused() == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        NO_CONTEXT.progress = print  # type: ignore[misc]  # frozen: shared by every caller


def test_check_raises_cancelled_once_the_stop_flag_is_set():
    flag = StopFlag()
    ctx = TaskContext(should_stop=flag)
    ctx.check()
    flag.set()
    assert ctx.stop_requested()
    with pytest.raises(Cancelled):
        ctx.check()


def test_a_child_maps_its_progress_into_its_parent_s_range_and_keeps_the_flags():
    seen = []
    flag = StopFlag()
    parent = TaskContext(progress=lambda f, m: seen.append((round(f, 3), m)), should_stop=flag)
    child = parent.sub(0.2, 0.6)
    child.report(0.0, "start")
    child.report(0.5, "middle")
    child.report(1.5, "past the end")  # clamped
    child.sub(0.5, 1.0).report(0.0, "grandchild")
    assert seen == [(0.2, "start"), (0.4, "middle"), (0.6, "past the end"), (0.4, "grandchild")]
    assert child.should_stop is flag


def test_epochs_reach_their_listener():
    records = []
    TaskContext(on_epoch=records.append).epoch({"epoch": 3})
    assert records == [{"epoch": 3}]


def test_a_pause_holds_until_released_and_a_stop_still_stops():
    polls = {"n": 0}

    def paused():
        polls["n"] += 1
        return polls["n"] <= 3

    waited = TaskContext(should_pause=paused).hold_while_paused(poll_s=0.001)
    assert waited > 0 and polls["n"] == 4
    with pytest.raises(Cancelled):
        TaskContext(should_stop=lambda: True, should_pause=lambda: True).hold_while_paused(poll_s=0.001)


def test_long_core_functions_take_only_ctx():
    """The signature rule: a keyword-only ``ctx``, never the old separate parameters."""
    from guiapp.core.data.attach import attach_data
    from guiapp.core.evaluation.cross_validation import cross_validate
    from guiapp.core.export.write import write_bundle
    from guiapp.core.models.train import train_network
    from guiapp.core.pipeline import run_study
    from guiapp.core.privacy.dp import train_with_dp

    for fn in (attach_data, cross_validate, train_network, train_with_dp, write_bundle, run_study):
        params = inspect.signature(fn).parameters
        assert params["ctx"].kind is inspect.Parameter.KEYWORD_ONLY and params["ctx"].default is NO_CONTEXT
        assert not {"progress", "should_stop", "should_pause", "on_epoch"} & set(params)


def test_no_function_in_the_core_takes_the_old_separate_parameters():
    import ast
    from pathlib import Path

    import guiapp.core

    old = {"progress", "should_stop", "should_pause", "on_epoch"}
    found = []
    for path in Path(guiapp.core.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                a = node.args
                names = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
                if names & old and path.name != "task_context.py":
                    found.append(f"{path.name}:{node.lineno}")
    assert found == []
