"""Save pictures of a tree as SVG files."""

import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from howto_pictures import SPEC, crashed  # the first example's tree
from loguru import logger

from gensup import VirtualClock, render

if __name__ == "__main__":
    logger.remove()
    with tempfile.TemporaryDirectory() as folder:  # any folder will do
        before = Path(folder, "shop.svg")
        before.write_text(render.svg(SPEC, background=True), encoding="utf-8")
        with crashed(VirtualClock()) as tree:
            after = Path(folder, "shop-running.svg")
            after.write_text(
                render.svg(tree, background=True), encoding="utf-8"
            )
        for path in (before, after):
            svg = ET.parse(path).getroot()  # a plain XML document
            print(path.name, svg.get("width"), "x", svg.get("height"), "px")
