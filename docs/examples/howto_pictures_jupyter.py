"""What a notebook and a plain REPL show for a spec and a tree."""

from howto_pictures import SPEC, crashed  # the first example's tree
from loguru import logger

from gensup import VirtualClock, render

if __name__ == "__main__":
    logger.remove()
    # Jupyter shows an object with its _repr_svg_ method: the picture,
    # on a background of its own.
    print(SPEC._repr_svg_() == render.svg(SPEC, background=True))
    with crashed(VirtualClock()) as tree:
        print(tree._repr_svg_() == render.svg(tree, background=True))
        # A plain REPL shows repr(tree); print(tree) shows the text view.
        print(repr(tree))
