"""Keep what reached nobody, and send it again once someone listens."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor

logger.remove()


def archiver():
    while True:
        _, record = yield waitfor("ARCHIVE")
        print("archived", record)


with gensup.start(Supervisor("root", []), dead_letters=100) as tree:
    tree.signal("ARCHIVE", "r1")
    tree.signal("ARCHIVE", "r2")
    tree.signal("OTHER")
    print([(d.event, d.args) for d in tree.dead_letters()])

    tree.start_child("root", Worker("archiver", archiver))
    late = [d for d in tree.dead_letters() if d.event == "ARCHIVE"]
    print("reached:", tree.redeliver(late))
    print("still dead:", [d.event for d in tree.dead_letters()])
