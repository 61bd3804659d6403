"""Request and reply: from a worker with a ref, and with tree.request."""

from loguru import logger

import gensup
from gensup import RequestFailed, Supervisor, Worker, emit, ref, waitfor


def cache():
    store = {"ann": 31, "bob": 42}
    while True:
        event, key, reply = yield waitfor("GET")
        if key == "boom":
            raise KeyError(key)
        yield emit(reply, store.get(key))


def client():
    yield waitfor("GO")
    reply = ref()
    yield emit("GET", "bob", reply, to="root/cache", one=True)
    event, value = yield waitfor(reply, timeout=5)
    print("client got", value)


SPEC = Supervisor(
    "root",
    [
        Supervisor(
            "cache", [Worker("c1", cache), Worker("c2", cache)], intensity=3
        ),
        Worker("client", client, restart="temporary"),
    ],
)

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        tree.signal("GO")
        print("request ann:", tree.request("GET", "ann", to="root/cache"))
        try:
            tree.request("GET", "boom", to="root/cache")
        except RequestFailed as error:
            print("RequestFailed:", error)
            print("caused by", repr(error.__cause__))
