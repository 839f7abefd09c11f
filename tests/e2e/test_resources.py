"""Every file the program reads at run time is found through importlib.resources, the way an
installed bundle finds it, and the installer recipes ship all of them."""

from __future__ import annotations

import fnmatch
import json
import re
import struct
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGING = ROOT / "packaging"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def resource(*parts: str):
    return resources.files("guiapp.resources").joinpath(*parts)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", ["model_card.md.j2", "report.html.j2"])
def test_templates_load_and_parse(name):
    import jinja2

    text = resource("templates", name).read_text(encoding="utf-8")
    jinja2.Environment().parse(text)


def test_the_model_card_schema_loads_and_is_a_valid_schema():
    import jsonschema

    schema = json.loads(resource("schema", "model_card.schema.v0.0.2.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert resource("schema", "LICENSE-model-card-toolkit.txt").is_file()


def test_style_sheets_load():
    base = resource("ui", "tenfold.qss").read_text(encoding="utf-8")
    dark = resource("ui", "tenfold-dark.qss").read_text(encoding="utf-8")
    assert "QLabel#banner" in base and "QLabel#banner" in dark
    # The dark sheet only overrides colours of selectors that the base sheet styles.
    base_selectors = set(re.findall(r"^([A-Za-z][^{]*?)\s*\{", base, flags=re.M))
    for selector in re.findall(r"^([A-Za-z][^{]*?)\s*\{", dark, flags=re.M):
        assert selector in base_selectors, selector


@pytest.mark.parametrize("px", [16, 24, 32, 48, 64, 128, 256, 512])
def test_icons_ship_every_size(px):
    assert png_size(resource("icons", f"tenfold-{px}.png").read_bytes()) == (px, px)


def test_the_logo_is_an_svg():
    root = ET.fromstring(resource("icons", "tenfold.svg").read_bytes())
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 512 512"


def test_the_windows_icon_holds_sizes_up_to_256():
    data = resource("icons", "tenfold.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    sides = set()
    for i in range(count):
        w, h, _, _, _, _, size, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i : 22 + 16 * i])
        side = w or 256
        assert png_size(data[offset : offset + size]) == (side, side)
        sides.add(side)
    assert {16, 32, 48, 256} <= sides


def test_the_macos_icon_holds_sizes_up_to_1024():
    data = resource("icons", "tenfold.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    pos, kinds = 8, {}
    while pos < len(data):
        kind, length = data[pos : pos + 4].decode("ascii"), struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        kinds[kind] = png_size(data[pos + 8 : pos + length])[0]
        pos += length
    assert kinds["icp4"] == 16 and kinds["ic09"] == 512 and kinds["ic10"] == 1024


def test_no_module_finds_resources_relative_to_its_own_file():
    # Inside a bundle __file__ may point into an archive; importlib.resources works in both.
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "guiapp").rglob("*.py") if "__file__" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_wheel_and_the_bundle_ship_every_resource():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setup = project["tool"]["setuptools"]
    # resources/ at the repository's top level installs as the package guiapp.resources.
    assert setup["package-dir"]["guiapp.resources"] == "resources"
    globs = setup["package-data"]["guiapp.resources"]
    folder = ROOT / "resources"
    missing = [
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc")
        and "__pycache__" not in p.parts
        and not any(fnmatch.fnmatch(p.relative_to(folder).as_posix(), g) for g in globs)
    ]
    assert missing == []
    spec = (PACKAGING / "tenfold.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("guiapp")' in spec and 'collect_data_files("guiapp.resources")' in spec


def test_every_package_is_listed_for_the_wheel():
    """The package list is explicit (resources/ is mapped in): a new package must be added to it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "guiapp").rglob("__init__.py")}
    assert on_disk | {"guiapp.resources"} == listed


@pytest.mark.parametrize("script", ["tenfold.spec", "build.py", "make_icons.py", "tenfold_entry.py"])
def test_packaging_scripts_are_valid_python(script):
    compile((PACKAGING / script).read_text(encoding="utf-8"), script, "exec")
