"""Draw a tree as mermaid source, for GitHub markdown or a mermaid editor."""

from howto_pictures import SPEC  # the first example's tree

from gensup import render

if __name__ == "__main__":
    print("```mermaid")
    print(render.mermaid(SPEC))
    print("```")
