"""Before: a hand-written dispatcher in the style of the seed, in Python."""

from collections import defaultdict


class Dispatcher:
    def __init__(self):
        self.waiting = defaultdict(dict)  # event -> {generator: name}

    def introduce(self, name, func, *args):
        gen = func(*args)
        self._handle(gen, name, lambda: next(gen))

    def signal(self, event, *args):
        waiters = self.waiting.pop(event, {})
        if not waiters:
            print(f"event {event!r} dropped into the bit bucket")
        for gen, name in waiters.items():
            self._handle(gen, name, lambda gen=gen: gen.send((event, *args)))
        return any(self.waiting.values())  # does anybody still wait?

    def _handle(self, gen, name, resume):
        try:
            command, event = resume()
        except StopIteration:
            return  # the coroutine ended: forget it
        except Exception as exc:
            print(
                f"{name} failed with error: {exc!r}"
            )  # and it is gone for good
            return
        assert command == "waitfor", f"{name}: unknown request {command!r}"
        self.waiting[event][gen] = name


def process(n):
    for i in range(1, n + 1):
        event, howmany = yield ("waitfor", "TICK")
        assert event == "TICK" and howmany == i


if __name__ == "__main__":
    dispatcher = Dispatcher()
    for i in range(1, 4):
        dispatcher.introduce(f"p{i:04d}", process, 5)
    j = 1
    while dispatcher.signal("TICK", j):
        j += 1
    print("Endcount", j)
