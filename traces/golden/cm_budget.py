#!/usr/bin/env python3
"""Prototype: would an entropy coder of our own, with context models, put the golden traces under 3
bytes per event with blocks (issue #4's last open target)?

    traces/golden/cm_budget.py [--verbose] [TRACE ...]      (python3 only; default: traces/golden/*.trace)

For each trace (a binary trace, plain or with 1.3 rows blocks; its strings and events are read by
zstd_budget.read_trace), codes the same records as ONE block of a hypothetical block layout with a
binary adaptive range coder (LZMA's carry-less coder, 12-bit probabilities) whose probabilities come
from context models mixed by a logistic mixer (PAQ style, floating point here), then DECODES the
coded bytes again with the same models and checks that every event and every string comes back
exactly (so the models only use what a decoder already knows). Prints whole-file bytes per event:
the trace's real header + a block record's framing (lead, length, layout, content length: what a
format-1.4 block costs) + the coded bytes, per file, pooled (all bytes / all events) and as the mean
of the files.

The models (nothing trained on traces; the only prior is dictionary 1, Coroscope's own
hand-written vocabulary in traces/src/dictionary.cpp, run through the string model before coding):

- items: an item count, then per item its kind (5-bit tree; 31 = a string definition that no event
  introduced, see below), contexts: the previous 1, 2 and 3 kinds, the kind that followed the last
  two kinds last time, the kind that followed the previous kind last time for the same task;
- an event's field mask (7 bits, one at a time; bit 7 `extra` is not modelled: the goldens have
  none, a real layout needs an escape), contexts: kind and bit, with the previous kind, with the
  same bit of the last mask of this kind, with the bits already coded;
- the fields present, each by the event kind: ts, step, tick as their row deltas (the magnitude by
  a 7-bit tree, the top 3 bits below the leading one by a tree, the rest as direct bits);
  task by a few candidates first (the next new task for a spawn; the first three ready tasks for a
  resume: a ready list kept from task_ready/task_resume; the task that last suspended on the
  previous task for a ready; the last task of this kind; the previous event's `a`); a timer_arm's
  due as the change of (due - ts) from the previous arm; string ids: a flag "the next string, its
  text follows here" (the writer defines a string just before the event that refers to it) or an id
  equal to a prediction (a frame's location: the last one of that function) or a number; other
  values: "equal to the prediction" (a task_ready's cause and waker: what that task last suspended
  on; a suspend's deadline: that task's last timer due; else the last value of this kind and field)
  or the value (a timer or resource id as a difference from the last one of its kind);
- a string's text: its length (magnitude tree + direct bits), then each byte as 8 binary decisions
  mixed from order 0, 1, 2, 3, 4 and 6 contexts over the string history (the dictionary, then every
  string, each followed by a 0 byte) and a match model (the byte that followed the last occurrence
  of the last 5 bytes; its confidence by match length).

Counters adapt at rate 1/(n + 1.5) for their first n observations (n capped at 30 for events, 255
for strings) so that a context seen twice already predicts well: these are short runs.
"""
import glob
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zstd_budget  # noqa: E402  (read_trace, put_varint, rows)

HERE = os.path.dirname(os.path.abspath(__file__))


def dictionary_1():
    """The bytes of built-in dictionary 1, read from traces/src/dictionary.cpp (string literals)."""
    source = open(os.path.join(HERE, "..", "src", "dictionary.cpp")).read()
    body = re.search(r"coroscope_1 =(.*?);\n", source, re.S).group(1)
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body)).encode()


# ---------------------------------------------------------------------------------------------
# Binary range coder (LZMA's), 12-bit probabilities of a 0 bit.

class Encoder:
    def __init__(self):
        self.low, self.range, self.cache, self.cache_size, self.out = 0, 0xFFFFFFFF, 0, 1, bytearray()

    def _shift_low(self):
        if self.low < 0xFF000000 or self.low >= 1 << 32:
            carry = self.low >> 32
            temp = self.cache
            while True:
                self.out.append((temp + carry) & 0xFF)
                temp = 0xFF
                self.cache_size -= 1
                if self.cache_size == 0:
                    break
            self.cache = (self.low >> 24) & 0xFF
        self.cache_size += 1
        self.low = (self.low << 8) & 0xFFFFFFFF

    def code(self, p0, bit):
        bound = (self.range >> 12) * p0
        if bit == 0:
            self.range = bound
        else:
            self.low += bound
            self.range -= bound
        while self.range < 1 << 24:
            self.range <<= 8
            self._shift_low()
        return bit

    def finish(self):
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


class Decoder:
    def __init__(self, data):
        self.data, self.pos, self.range, self.code_ = data, 0, 0xFFFFFFFF, 0
        for _ in range(5):
            self.code_ = (self.code_ << 8 | self._byte()) & 0xFFFFFFFF

    def _byte(self):
        b = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return b

    def code(self, p0, _bit):
        bound = (self.range >> 12) * p0
        if self.code_ < bound:
            self.range, bit = bound, 0
        else:
            self.code_ -= bound
            self.range -= bound
            bit = 1
        while self.range < 1 << 24:
            self.range <<= 8
            self.code_ = (self.code_ << 8 | self._byte()) & 0xFFFFFFFF
        return bit


# ---------------------------------------------------------------------------------------------
# Context models: counters with a count-based rate, mixed in the logistic domain.

def stretch(p):
    return math.log(p / (1 - p))


def squash(x):
    return 1 / (1 + math.exp(-x))


class Models:
    def __init__(self, rc, limit, rate=0.02):
        self.rc, self.limit, self.rate = rc, limit, rate
        self.p, self.n, self.w = {}, {}, {}
        self.bits = {}  # cost accounting: tag -> bits
        self.tag = None

    def bit(self, ctxs, bit, select=None, extra=None):
        """Codes one bit predicted by the counters of ctxs (and an extra fixed probability of a 1)."""
        ps = [self.p.get(c, 0.5) for c in ctxs]
        if extra is not None:
            ps.append(extra)
        st = [stretch(min(max(p, 1 / 4096), 1 - 1 / 4096)) for p in ps]
        w = self.w.setdefault((self.tag if select is None else select, len(ps)), [0.3] * len(ps))
        p1 = squash(sum(a * b for a, b in zip(w, st)))
        p0 = min(max(int(round((1 - p1) * 4096)), 1), 4095)
        bit = self.rc.code(p0, bit)
        self.bits[self.tag] = self.bits.get(self.tag, 0) - math.log2(p0 / 4096 if bit == 0 else 1 - p0 / 4096)
        err = bit - p1
        for i in range(len(w)):
            w[i] += self.rate * err * st[i]
        for c, p in zip(ctxs, ps):
            n = self.n.get(c, 0)
            self.p[c] = p + (bit - p) / (n + 1.5)
            self.n[c] = min(n + 1, self.limit)
        return bit

    def tree(self, ctxs, value, nbits):
        node = 1
        for i in range(nbits - 1, -1, -1):
            b = self.bit([(c, node) for c in ctxs], None if value is None else (value >> i) & 1)
            node = node * 2 + b
        return node - (1 << nbits)

    def direct(self, value, nbits):
        out = 0
        for i in range(nbits - 1, -1, -1):
            b = self.rc.code(2048, None if value is None else (value >> i) & 1)
            self.bits[self.tag] = self.bits.get(self.tag, 0) + 1
            out = out << 1 | b
        return out

    def number(self, ctxs, value):
        """value >= 0: its bit length by a 7-bit tree, the top 3 bits below the leading one by a tree
        under (context, length), the rest direct."""
        n = self.tree([(c, "n") for c in ctxs], None if value is None else value.bit_length(), 7)
        if n <= 1:
            return n
        m = n - 1
        top = min(m, 3)
        hi = self.tree([(c, "m", n) for c in ctxs], None if value is None else (value >> (m - top)) & ((1 << top) - 1), top)
        lo = self.direct(None if value is None else value & ((1 << (m - top)) - 1), m - top)
        return 1 << m | hi << (m - top) | lo


class StringModel:
    ORDERS = (1, 2, 3, 4, 6)
    MATCH_MIN = 5

    def __init__(self, models):
        self.m = models
        self.hist = bytearray()
        self.index = {}
        self.match_ptr, self.match_len = None, 0
        self.match_p = {}

    def byte(self, value):
        pred = self.hist[self.match_ptr] if self.match_ptr is not None else None
        node = 1
        for i in range(7, -1, -1):
            ctxs = [("o0", node)] + [(o, bytes(self.hist[-o:]), node) for o in self.ORDERS]
            extra, select = 0.5, ("s", -1)
            expected = None
            if pred is not None and (pred + 256) >> (i + 1) == node:
                expected = (pred >> i) & 1
                length = min(self.match_len, 15)
                q = self.match_p.get(length, 0.9)
                extra, select = (q if expected else 1 - q), ("s", length)
            b = self.m.bit(ctxs, None if value is None else (value >> i) & 1, select=select, extra=extra)
            if expected is not None:
                length = min(self.match_len, 15)
                q = self.match_p.get(length, 0.9)
                self.match_p[length] = q + ((1 if b == expected else 0) - q) / 32
            node = node * 2 + b
        c = node - 256
        self.push(c, pred)
        return c

    def push(self, c, pred=None):
        if pred is not None and pred == c:
            self.match_len += 1
            self.match_ptr += 1
        else:
            self.match_len, self.match_ptr = 0, None
        self.hist.append(c)
        if len(self.hist) >= self.MATCH_MIN:
            key = bytes(self.hist[-self.MATCH_MIN:])
            if self.match_ptr is None and key in self.index:
                self.match_ptr, self.match_len = self.index[key], 0
            self.index[key] = len(self.hist)

    def text(self, models_len, value):
        models_len.tag = "strings"
        n = models_len.number([("len",)], None if value is None else len(value))
        out = bytes(self.byte(None if value is None else value[i]) for i in range(n))
        self.push(0)
        return out


# ---------------------------------------------------------------------------------------------
# The record model.

FIELDS = ["ts", "task", "a", "code", "b", "step", "tick"]
STRING_FIELDS = {(2, "b"), (7, "a"), (7, "b"), (6, "a"), (8, "a"), (9, "b"), (18, "a"), (21, "a")}
DEFINE = 31  # item kind: a string definition that no event introduced


def zigzag(diff, bits):
    return zstd_budget.zigzag(diff, bits)


def unzigzag(z, bits):
    return zstd_budget.unzigzag(z) % (1 << bits)


def signed(d):
    return 2 * d if d >= 0 else -2 * d - 1


def unsigned_to_signed(z):
    return z // 2 if z % 2 == 0 else -(z + 1) // 2


def code_trace(rc, vocabulary, events=None, strings=None):
    """Encodes (events, strings given) or decodes (None) one block; returns (events, strings, cost)."""
    encoding = events is not None
    ev = Models(rc, limit=30)
    sm_models = Models(rc, limit=255)
    sm = StringModel(sm_models)
    # Prime the string model with the dictionary: the same updates, nothing coded.
    for c in vocabulary:
        saved = sm_models.rc
        sm_models.rc = _Silent()
        sm.byte(c)
        sm_models.rc = saved
    sm.push(0)
    sm_models.bits = {}
    sm_models.tag = "strings"

    out_events, out_strings = [], []
    ev.tag = "count"
    items = None
    if encoding:
        items = plan_items(events, strings)
    count = ev.number([("count",)], None if items is None else len(items))

    prev = dict(ts=0, task=0, a=0, code=0, b=0, step=0, tick=0, kind=0)
    hist = [0, 0, 0]
    last, after, task_after = {}, {}, {}
    ready, suspend_code, suspend_a, suspended_on = [], {}, {}, {}
    max_task, due_by_task, frame_location = 0, {}, {}

    def define(text):
        out_strings.append(text)

    for index in range(count):
        item = items[index] if encoding else None
        k_true = None if item is None else (DEFINE if item[0] == "s" else item[1]["kind"])
        pk, ppk, p3 = hist
        ev.tag = "kind"
        k = ev.tree([("k1", pk), ("k2", pk, ppk), ("k3", pk, ppk, p3), ("km", after.get((ppk, pk), 0), pk),
                     ("kt", pk, task_after.get((prev["task"], pk), 99))], k_true, 5)
        if k == DEFINE:
            define(sm.text(ev, None if item is None else item[1]))
            continue
        e_true = None if item is None else item[1]
        mask_true = None
        if e_true is not None:
            mask_true = ((e_true["ts"] != prev["ts"]) | (e_true["task"] != prev["task"]) << 1 | (e_true["a"] != 0) << 2 |
                         (e_true["code"] != 0) << 3 | (e_true["b"] != 0) << 4 | (e_true["step"] != prev["step"]) << 5 |
                         (e_true["tick"] != prev["tick"]) << 6)
        ev.tag = "mask"
        mask = 0
        for bit in range(7):
            lb = last.get((k, "mask"), 0) >> bit & 1
            b = ev.bit([("m0", k, bit), ("m1", k, bit, pk), ("m2", k, bit, lb), ("m3", bit, mask, k)],
                       None if mask_true is None else mask_true >> bit & 1)
            mask |= b << bit
        e = dict(kind=k, ts=prev["ts"], task=prev["task"], a=0, code=0, b=0, step=prev["step"], tick=prev["tick"])
        for bit, f in enumerate(FIELDS):
            if not mask >> bit & 1:
                continue
            v_true = None if e_true is None else e_true[f]
            ev.tag = (k, f)
            if f == "ts":
                lm = last.get((k, "tsm"), 0)
                z = ev.number([("ts", k), ("ts", k, pk), ("ts",), ("ts", k, lm)],
                              None if v_true is None else zigzag(v_true - prev["ts"], 64) - 1) + 1
                last[(k, "tsm")] = (z - 1).bit_length()
                e["ts"] = (prev["ts"] + unzigzag(z, 64)) % (1 << 64)
            elif f in ("step", "tick"):
                bits = 64 if f == "step" else 32
                z = ev.number([(f, k), (f,)], None if v_true is None else zigzag(v_true - prev[f], bits) - 1) + 1
                e[f] = (prev[f] + unzigzag(z, bits)) % (1 << bits)
            elif f == "task":
                cands = []
                if k == 2:
                    cands.append(max_task + 1)
                if k == 4:
                    cands += ready[:3]
                if k == 3:
                    cands.append(suspended_on.get(prev["task"], -1))
                cands += [last.get((k, "task"), -1), prev["a"]]
                value = None
                for i, cv in enumerate(cands):
                    if cv == prev["task"]:
                        continue
                    if ev.bit([("taskc", k, i), ("taskc", i)], None if v_true is None else int(v_true == cv)):
                        value = cv
                        break
                if value is None:
                    value = ev.number([("task", k), ("task",)], v_true)
                e["task"] = value
            else:
                pred = None
                if f == "code" and k == 3:
                    pred = suspend_code.get(e["task"])
                if f == "a" and k == 3 and suspend_code.get(e["task"]) == 3:
                    pred = suspend_a.get(e["task"])
                if f == "b" and k == 7:
                    pred = frame_location.get(e["a"])
                if f == "b" and k == 5:
                    pred = due_by_task.get(e["task"])
                if pred is None:
                    pred = last.get((k, f))
                if (k, f) in STRING_FIELDS:
                    nxt = len(out_strings) + 1
                    if ev.bit([("new", k, f), ("new",)], None if v_true is None else int(v_true == nxt)):
                        define(sm.text(ev, None if strings is None else strings[nxt - 1]))
                        ev.tag = (k, f)
                        value = nxt
                    elif ev.bit([("eqp", k, f), ("eqp",)], None if v_true is None else int(v_true == pred)):
                        value = pred
                    else:
                        value = ev.number([("sid", k, f), ("sid",)], v_true)
                elif f == "b" and k == 13:
                    ts_now = e["ts"]
                    prevd = last.get("due")
                    base = prevd if prevd is not None else 0
                    z = ev.number([("due",)], None if v_true is None else signed((v_true - ts_now) - base))
                    value = (ts_now + base + unsigned_to_signed(z)) % (1 << 64)
                    last["due"] = value - ts_now
                else:
                    if ev.bit([("eqp", k, f), ("eqp", f)], None if v_true is None else int(v_true == pred)):
                        value = pred
                    else:
                        p2 = last.get((k, f))
                        if p2 is not None and f == "a" and k in (13, 9, 10):
                            value = p2 + unsigned_to_signed(ev.number([(k, f, "d")], None if v_true is None else signed(v_true - p2)))
                        else:
                            value = ev.number([(k, f), (f,)], v_true)
                e[f] = value
        for bit, f in enumerate(FIELDS):
            if mask >> bit & 1 or f in ("a", "b", "code"):
                last[(k, f)] = e[f]
        last[(k, "mask")] = mask
        if k == 2:
            max_task = max(max_task, e["task"])
        if k == 3 and e["task"] not in ready:
            ready.append(e["task"])
        if k == 4 and e["task"] in ready:
            ready.remove(e["task"])
        if k == 5:
            suspend_code[e["task"]], suspend_a[e["task"]] = e["code"], e["a"]
            suspended_on[e["a"]] = e["task"]
        if k == 7:
            frame_location[e["a"]] = e["b"]
        if k == 13:
            due_by_task[e["task"]] = e["b"]
        after[(ppk, pk)] = k
        task_after[(prev["task"], pk)] = k
        hist = [k, pk, ppk]
        prev = e
        out_events.append(e)
    cost = {}
    for m in (ev, sm_models):
        for tag, b in m.bits.items():
            cost[tag] = cost.get(tag, 0) + b / 8
    return out_events, out_strings, cost


class _Silent:
    """A range coder stand-in for priming: returns the given bit, codes nothing."""

    def code(self, _p0, bit):
        return bit


def plan_items(events, strings):
    """The items the encoder codes: each event, with a string definition item first for any string an
    event refers to that is not the next one to define (the goldens need none), and one for each
    string left undefined at the end. An event's string fields are visited in FIELDS order."""
    items, defined = [], 0
    for e in events:
        for f in FIELDS:
            if (e["kind"], f) in STRING_FIELDS and e[f] > defined + 1:
                while defined + 1 < e[f]:
                    items.append(("s", strings[defined]))
                    defined += 1
            if (e["kind"], f) in STRING_FIELDS and e[f] == defined + 1:
                defined += 1  # introduced by the event itself
        items.append(("e", e))
    while defined < len(strings):
        items.append(("s", strings[defined]))
        defined += 1
    return items


def main():
    args = [a for a in sys.argv[1:] if a != "--verbose"]
    verbose = "--verbose" in sys.argv
    paths = args or sorted(glob.glob(os.path.join(HERE, "*.trace")))
    vocabulary = dictionary_1()
    print("%-28s %6s %7s %7s %7s %7s %7s %7s" % ("trace", "events", "bytes", "B/event", "header", "framing", "strings", "events"))
    total_bytes = total_events = 0
    per_file = []
    costs = {}
    for path in paths:
        t = zstd_budget.read_trace(path)
        # Canonical row deltas: the model codes what the writer's records hold.
        rc = Encoder()
        _, _, cost = code_trace(rc, vocabulary, t["events"], t["strings"])
        coded = rc.finish()
        events, strings = code_trace(Decoder(coded), vocabulary)[:2]
        norm = [{k: e[k] for k in ("kind",) + tuple(FIELDS)} for e in t["events"]]
        assert events == norm, path + ": events do not decode back"
        assert strings == t["strings"], path + ": strings do not decode back"
        rows_length = len(zstd_budget.rows(t))
        payload = 1 + len(zstd_budget.put_varint(rows_length)) + len(coded)  # layout, content length, coded
        framing = 1 + len(zstd_budget.put_varint(payload)) + payload - len(coded)
        size = len(t["header"]) + framing + len(coded)
        n = len(t["events"])
        strings_cost = cost.get("strings", 0)
        print("%-28s %6d %7d %7.2f %7.2f %7.2f %7.2f %7.2f" % (
            os.path.basename(path), n, size, size / n, len(t["header"]) / n, framing / n, strings_cost / n,
            (len(coded) - strings_cost) / n))
        total_bytes += size
        total_events += n
        per_file.append(size / n)
        for tag, b in cost.items():
            costs[tag] = costs.get(tag, 0) + b
    print("pooled (all bytes / all events): %.3f B/event over %d events; mean of the %d files: %.3f" % (
        total_bytes / total_events, total_events, len(per_file), sum(per_file) / len(per_file)))
    if verbose:
        for tag, b in sorted(costs.items(), key=lambda x: -x[1])[:25]:
            print("  %-24s %.3f B/event" % (tag, b / total_events))


if __name__ == "__main__":
    main()
