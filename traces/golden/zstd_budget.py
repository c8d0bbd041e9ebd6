#!/usr/bin/env python3
"""Where the bytes of the zstd golden traces go, and what other block layouts would weigh.

    traces/golden/zstd_budget.py [EXTRA.trace ...]      (python3 and the zstd command line tool)

1. For every traces/golden/v1.3/zstd/<name>.trace (the format 1.3 archive: layout 0 blocks, rows
   without a dictionary; and its plain twin v1.3/<name>.trace), the whole
   file split into: header (exact), framing (exact: each block record's lead, length, layout and
   content length, the zstd frame header, 3 bytes per zstd block header, the 4-byte checksum), and
   the compressed records, split into event records (the same events compressed alone) and string
   records (the rest: what adding the strings to the events' block costs).
2. The same traces with block contents laid out otherwise (prototypes of the ideas of issue #4's
   last open target; format 1.4 adopted "kind cols + vocab" as block layout 2 with dictionary 1),
   compressed by the zstd tool at the writer's level
   (19) and framed like the writer's blocks, whole files, bytes per event over all traces:
     rows       the 1.3 writer's block content (records as they stand in a plain file); the zstd
                tool makes frames within a few bytes of the writer's (libzstd at the same level)
     columns    event records column by column: every lead, then each field's values in order
     kind cols  the same, one column per (field, event kind)
     vocab      rows, zstd given a raw-content dictionary of Coroscope's own vocabulary (VOCABULARY
                below: scheduler/ names, labels and frame signatures, generic C++ spellings; nothing
                from samples/ or from the golden traces)
     kind cols + vocab, and its compressed records alone, without header and framing (idea (c)'s
                floor), split into events alone and strings alone; and the events alone once
                kind-aware predictions took out what they imply (predicted())
3. EXTRA traces (binary, plain or zstd, e.g. a test's recording): the same layouts.

Decoding follows traces/README.md (format 1.3; 1.0-1.2 string records too). Not used by the build
or the tests: it documents the measurements in docs/PERFORMANCE.md section 3.
"""
import glob
import os
import subprocess
import sys
import tempfile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 19  # binary::zstd_level_small: what the writer uses for blocks of up to 64 KiB

# Format 1.4's dictionary 1 (traces/src/dictionary.cpp) is this list joined, with "samples/" added
# before ".cpp:" (the source tree's layout, as file:line strings spell it).
# Coroscope's own vocabulary: scheduler/ (its frames as GCC's std::source_location spells them,
# its headers' paths, the names and labels its code gives tasks and resources) and generic C++
# type spellings. Nothing from samples/ (no sample function, namespace, file or task name).
VOCABULARY = [
    "const char*", "std::size_t", "uint64_t", "std::span<char>", "std::optional<int>", "std::vector<int>",
    "const std::string&", "std::string", "std::__cxx11::basic_string<char> >", "std::chrono::milliseconds",
    "std::chrono::nanoseconds", "std::chrono::duration<_Rep1, _Period1>", "std::ratio<1, 1000>", "long int",
    "long unsigned int", "std::shared_ptr<", "(int, int)", "(int)", "()", "bool&", "int&",
    " [with T = void]", " [with T = ", "static ",
    "process /bin/", " (pid ", "pipe stdin of ", "pipe stdout of ", "pipe stderr of ",
    "tcp listen 127.0.0.1:", "tcp -> 127.0.0.1:", " -> 127.0.0.1:",
    "task cancelled", "operation timed out", "with_timeout timer", "with_timeout", "main",
    "coroscope::mutex&", "coroscope::event&", "coroscope::semaphore&", "coroscope::tcp_stream",
    "coroscope::tcp_listener&", "coroscope::pipe_stream&", "coroscope::join_handle<void>&",
    "coroscope::task_group&", "coroscope::channel<int>", "coroscope::channel<", "coroscope::mutex::guard",
    "coroscope::task<void> coroscope::stream::read_exact(std::span<char>, std::size_t)", "scheduler/src/stream.cpp:",
    "coroscope::task<decltype (coroscope::detail::awaiter_of(declval<Operation>()).await_resume())> "
    "coroscope::with_timeout(std::chrono::duration<_Rep1, _Period1>, Operation) [with Rep = long int; "
    "Period = std::ratio<1, 1000>; Operation = ",
    "; decltype (detail::awaiter_of(declval<Operation>()).await_resume()) = ",
    "coroscope::task<T> coroscope::detail::timeout_operation(A, std::shared_ptr<timeout_race>) [with R = ",
    "scheduler/include/coroscope/timeout.hpp:",
    "coroscope::task<void> coroscope::detail::timeout_timer(std::chrono::nanoseconds, std::shared_ptr<timeout_race>)",
    "static coroscope::task<void> coroscope::task_group::member(coroscope::task<T>, std::shared_ptr<state>) [with T = void]",
    "scheduler/include/coroscope/task_group.hpp:", "task_group::wait",
    ".cpp:", "coroscope::task<bool> ", "coroscope::task<long unsigned int> ", "coroscope::task<int> ",
    "coroscope::task<void> ",
]


def put_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def get_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def zigzag(diff, bits):
    diff %= 1 << bits
    return ((diff << 1) ^ (((1 << bits) - 1) if diff >> (bits - 1) else 0)) % (1 << bits)


def unzigzag(z):
    return (z >> 1) ^ -(z & 1)


def zstd_tool(args, data):
    return subprocess.run(["zstd", "-q", "-c"] + args, input=data, capture_output=True, check=True).stdout


def frame_parts(frame, magicless):
    """(frame header bytes, block header bytes, block body bytes, checksum bytes) of one zstd frame."""
    i = 0 if magicless else 4
    fhd = frame[i]
    single = (fhd >> 5) & 1
    fcs = [1 if single else 0, 2, 4, 8][fhd >> 6]
    head = 1 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + fcs
    i += head
    heads = body = 0
    while True:
        bh = frame[i] | frame[i + 1] << 8 | frame[i + 2] << 16
        size = bh >> 3
        n = 1 if (bh >> 1) & 3 == 1 else size
        i += 3 + n
        heads += 3
        body += n
        if bh & 1:
            break
    check = 4 if (fhd >> 2) & 1 else 0
    return head + (0 if magicless else 4), heads, body, check


def read_trace(path):
    """Header bytes, strings (in definition order), events (dicts), zstd framing and body bytes."""
    data = open(path, "rb").read()
    assert data[:8] == b"CSTRACE\0", path + ": not a binary trace"
    length, i = get_varint(data, 12)
    header = data[: i + length]
    t = {"header": header, "strings": [], "events": [], "framing": 0, "body": 0, "size": len(data)}
    state = {"prev": dict(ts=0, task=0, step=0, tick=0), "last": 0, "history": b""}
    records(data, i + length, t, state, top=True)
    return t


def records(data, i, t, state, top):
    while i < len(data):
        start = i
        lead, i = get_varint(data, i)
        kind, rest = lead & 31, lead >> 5
        if kind != 31:
            i = event_fields(data, i, kind, rest, t, state)
            continue
        length, i = get_varint(data, i)
        payload = data[i : i + length]
        i += length
        if rest == 2 and top:  # zstd block
            layout, j = get_varint(payload, 0)
            content_length, j = get_varint(payload, j)
            frame = payload[j:]
            head, heads, body, check = frame_parts(frame, magicless=True)
            t["framing"] += (j + (i - length - start)) + head + heads + check
            t["body"] += body
            content = zstd_tool(["-d"], ZSTD_MAGIC + frame)
            assert layout == 0 and len(content) == content_length
            records(content, 0, t, state, top=False)
        elif rest == 3:  # string pieces
            text, j = bytearray(), 0
            while j < len(payload):
                h, j = get_varint(payload, j)
                if h % 2 == 0:
                    text += payload[j : j + h // 2]
                    j += h // 2
                else:
                    distance, j = get_varint(payload, j)
                    for _ in range(h // 2 + 4):
                        whole = state["history"] + bytes(text)
                        text.append(whole[len(whole) - distance])
            define(bytes(text), state["last"] + 1, t, state)
        elif rest == 0:  # plain string record
            sid, j = get_varint(payload, 0)
            prefix, j = get_varint(payload, j)
            text = b""
            if prefix:
                base, j = get_varint(payload, j)
                text = t["strings"][base - 1][:prefix]
            define(text + payload[j:], sid, t, state)
        else:
            raise SystemExit("record type %d not handled by this script" % rest)


def define(text, sid, t, state):
    assert sid == len(t["strings"]) + 1, "string ids out of order: not handled by this script"
    t["strings"].append(text)
    state["last"] = sid
    state["history"] += text


def event_fields(data, i, kind, mask, t, state):
    prev = state["prev"]
    e = dict(kind=kind, ts=prev["ts"], task=prev["task"], a=0, code=0, b=0, step=prev["step"], tick=prev["tick"])
    for bit, name in enumerate(["ts", "task", "a", "code", "b", "step", "tick"]):
        if mask >> bit & 1:
            v, i = get_varint(data, i)
            if name in ("ts", "step"):
                v = (prev[name] + unzigzag(v)) % (1 << 64)
            elif name == "tick":
                v = (prev[name] + unzigzag(v)) % (1 << 32)
            e[name] = v
    assert not mask & 0x80, "extra fields: not handled by this script"
    t["events"].append(e)
    state["prev"] = e
    return i


def event_records(events):
    """[(lead, [field bytes])] as the 1.3 writer encodes them."""
    out, prev = [], dict(ts=0, task=0, step=0, tick=0)
    for e in events:
        mask, fields = 0, []
        if e["ts"] != prev["ts"]:
            mask |= 1
            fields.append(put_varint(zigzag(e["ts"] - prev["ts"], 64)))
        if e["task"] != prev["task"]:
            mask |= 2
            fields.append(put_varint(e["task"]))
        for bit, name in ((4, "a"), (8, "code"), (16, "b")):
            if e[name]:
                mask |= bit
                fields.append(put_varint(e[name]))
        if e["step"] != prev["step"]:
            mask |= 32
            fields.append(put_varint(zigzag(e["step"] - prev["step"], 64)))
        if e["tick"] != prev["tick"]:
            mask |= 64
            fields.append(put_varint(zigzag(e["tick"] - prev["tick"], 32)))
        out.append((e["kind"] | mask << 5, fields))
        prev = e
    return out


def string_records(strings):
    # Inside blocks the 1.3 writer makes pieces records of one literal each.
    out = b""
    for s in strings:
        payload = put_varint(len(s) * 2) + s if s else b""
        out += put_varint(31 | 3 << 5) + put_varint(len(payload)) + payload
    return out


def rows(t):
    return string_records(t["strings"]) + b"".join(put_varint(lead) + b"".join(f) for lead, f in event_records(t["events"]))


def columns(t, per_kind):
    evs = event_records(t["events"])
    cols = {}
    for lead, fields in evs:
        k, mask, n = lead & 31, lead >> 5, 0
        for bit in range(7):
            if mask >> bit & 1:
                cols.setdefault((bit, k) if per_kind else bit, bytearray()).extend(fields[n])
                n += 1
    return (string_records(t["strings"]) + b"".join(put_varint(lead) for lead, _ in evs) +
            b"".join(bytes(cols[key]) for key in sorted(cols)))


def predicted(events):
    """The events with kind-aware predictions applied (what a layout could leave out): a frame's
    location as a difference from its function id, a timer's due time from the event's timestamp, a
    sleep's deadline as 0 when it is its timer's, and a task_ready right after its task_spawn without
    cause and waker (both implied). The same number of values: only their sizes change."""
    out, last_due, prev = [], None, None
    for e in events:
        f = dict(e)
        if e["kind"] == 7:  # frame_enter
            f["b"] = (e["b"] - e["a"]) % (1 << 64)
        if e["kind"] == 13:  # timer_arm
            last_due = e["b"]
            f["b"] = (e["b"] - e["ts"]) % (1 << 64)
        if e["kind"] == 5 and e["b"] and e["b"] == last_due:  # task_suspend with its timer's deadline
            f["b"] = 0
        if (e["kind"] == 3 and prev and prev["kind"] == 2 and prev["task"] == e["task"] and e["a"] == prev["a"]
                and e["code"] == 9):  # task_ready (cause spawn, waker = parent) after task_spawn
            f["a"] = f["code"] = 0
        out.append(f)
        prev = e
    return out


def block_bytes(content, dictionary=None):
    """Bytes of one block record holding content, framed as the writer frames it."""
    args = ["--ultra", "-%d" % LEVEL, "--no-check", "--no-content-size"]
    if dictionary:
        args += ["--no-dictID", "-D", dictionary]
    frame = zstd_tool(args, content)
    # The tool's frame has the 4-byte magic the writer leaves out and lacks the 4-byte checksum the
    # writer adds: the same length.
    head = put_varint(0) + put_varint(len(content))
    return len(put_varint(31 | 2 << 5)) + len(put_varint(len(head) + len(frame))) + len(head) + len(frame)


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v1.3")
    with tempfile.NamedTemporaryFile(suffix=".dict") as vocab:
        vocab.write("".join(VOCABULARY).encode())
        vocab.flush()

        print("1. committed zstd twins, whole files, bytes per event (events: the events alone compressed;")
        print("   strings: what they add to the block; framing: block records, zstd frame and block headers, checksum)")
        print("%-28s %6s %6s %8s %8s %8s %8s %8s %8s" %
              ("trace", "events", "bytes", "B/event", "header", "framing", "strings", "events", "plain"))
        total = dict(n=0, bytes=0, header=0, framing=0, strings=0, events=0, plain=0)
        for path in sorted(glob.glob(os.path.join(here, "zstd", "*.trace"))):
            t = read_trace(path)
            plain = read_trace(os.path.join(here, os.path.basename(path)))
            assert plain["strings"] == t["strings"] and plain["events"] == t["events"], path
            n = len(t["events"])
            assert zstd_tool(["-d"], zstd_tool(["-19"], rows(t))) == rows(t)
            events_only = zstd_tool(["--ultra", "-%d" % LEVEL, "--no-check", "--no-content-size"],
                                    rows(dict(strings=[], events=t["events"])))
            ev = frame_parts(events_only, magicless=False)[2]
            row = dict(n=n, bytes=t["size"], header=len(t["header"]), framing=t["framing"], strings=t["body"] - ev,
                       events=ev, plain=plain["size"])
            for k in total:
                total[k] += row[k]
            print("%-28s %6d %6d %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f" %
                  (os.path.basename(path), n, row["bytes"], row["bytes"] / n, row["header"] / n, row["framing"] / n,
                   row["strings"] / n, row["events"] / n, row["plain"] / n))
        n = total["n"]
        print("%-28s %6d %6d %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f" %
              ("all", n, total["bytes"], total["bytes"] / n, total["header"] / n, total["framing"] / n,
               total["strings"] / n, total["events"] / n, total["plain"] / n))

        print()
        print("2. other block layouts (prototypes), whole files, bytes per event over all traces")
        sets = [("golden (7 samples)", sorted(glob.glob(os.path.join(here, "*.trace"))))]
        for extra in sys.argv[1:]:
            sets.append((os.path.basename(extra), [extra]))
        layouts = [
            ("rows (1.3 writer)", lambda t: block_bytes(rows(t))),
            ("columns", lambda t: block_bytes(columns(t, False))),
            ("kind cols", lambda t: block_bytes(columns(t, True))),
            ("vocab", lambda t: block_bytes(rows(t), vocab.name)),
            ("kind cols + vocab", lambda t: block_bytes(columns(t, True), vocab.name)),
        ]
        # Idea (c)'s floor: no header and no framing at all, only the compressed records of the best
        # layout; and how they split (the events alone, the strings alone).
        def body(content):
            frame = zstd_tool(["--ultra", "-%d" % LEVEL, "--no-check", "--no-content-size", "--no-dictID", "-D",
                               vocab.name], content)
            return frame_parts(frame, magicless=False)[2]
        floors = [
            ("kind cols + vocab, no header, no framing", lambda t: body(columns(t, True))),
            ("  of which the events alone", lambda t: body(columns(dict(strings=[], events=t["events"]), True))),
            ("  of which the strings alone", lambda t: body(string_records(t["strings"]))),
            ("  the events alone with kind-aware predictions",
             lambda t: body(columns(dict(strings=[], events=predicted(t["events"])), True))),
        ]
        for label, paths in sets:
            traces = [read_trace(p) for p in paths]
            n = sum(len(t["events"]) for t in traces)
            header = sum(len(t["header"]) for t in traces)
            print("  %s, %d events, header %.2f B/event" % (label, n, header / n))
            for name, size in layouts:
                blocks = sum(size(t) for t in traces)
                print("    %-20s %5.2f B/event (blocks alone %5.2f)" % (name, (header + blocks) / n, blocks / n))
            for name, size in floors:
                print("    %-48s %5.2f B/event" % (name, sum(size(t) for t in traces) / n))


if __name__ == "__main__":
    main()
